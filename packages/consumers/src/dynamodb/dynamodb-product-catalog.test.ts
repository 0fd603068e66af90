// The DynamoDB product catalog's requests and failure paths; its behaviour against the embedded
// DynamoDB is in test/integration/product-catalog.test.ts.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsError } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbProductCatalog } from './dynamodb-product-catalog.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-products';
const request = { title: 'ONE PIECE 108', requestedAt: '2026-02-01T09:00:00.000Z' };

beforeEach(() => {
  dynamo.reset();
});

function makeCatalog(maxScanPages?: number) {
  return new DynamoDbProductCatalog(documents, { tableName, ...(maxScanPages ? { maxScanPages } : {}) });
}

describe('DynamoDbProductCatalog.list', () => {
  it('scans page after page until it has limit products', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ product_id: 'a', title: 'A', genre: '少年' }],
        LastEvaluatedKey: { product_id: 'a' },
      })
      .resolvesOnce({
        Items: [{ product_id: 'b', ai_tags: ['seinen'] }, { product_id: 'c' }],
        LastEvaluatedKey: { product_id: 'c' },
      });

    const products = await makeCatalog().list(3);

    expect(products).toEqual([
      { productId: 'a', title: 'A', genre: '少年' },
      { productId: 'b', tags: ['seinen'] },
      { productId: 'c' },
    ]);
    const scans = dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans.map((scan) => scan.Limit)).toEqual([3, 2]);
    expect(scans[1]?.ExclusiveStartKey).toEqual({ product_id: 'a' });
    expect(scans[0]?.ProjectionExpression).toBe('#id, #title, #genre, #tags, #embeddingTitle');
  });

  it('stops after maxScanPages pages, answering with what it has', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [], LastEvaluatedKey: { product_id: 'x' } });

    expect(await makeCatalog(3).list(10)).toEqual([]);
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(3);
  });

  it('falls back to the requested embedding title, reads tags kept as a set, and skips items without an id', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [{ product_id: 'a', embedding_title: 'A', ai_tags: new Set(['shojo']) }, { title: 'no id' }],
    });

    expect(await makeCatalog().list(5)).toEqual([{ productId: 'a', title: 'A', tags: ['shojo'] }]);
  });
});

describe('DynamoDbProductCatalog.markEmbeddingStale', () => {
  it('sets the three embedding attributes unless already stale for the same title', async () => {
    dynamo.on(UpdateCommand).resolves({});

    expect(await makeCatalog().markEmbeddingStale('onepiece-108', request)).toBe('marked');
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: tableName,
      Key: { product_id: 'onepiece-108' },
      UpdateExpression: 'SET #status = :stale, #requestedAt = :requestedAt, #title = :title',
      ConditionExpression: 'attribute_not_exists(#status) OR #status <> :stale OR #title <> :title',
      ExpressionAttributeValues: {
        ':stale': 'stale',
        ':requestedAt': request.requestedAt,
        ':title': request.title,
      },
    });
  });

  it('answers already-stale when the condition fails', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    expect(await makeCatalog().markEmbeddingStale('onepiece-108', request)).toBe('already-stale');
  });

  it('lets other SDK errors through', async () => {
    dynamo.on(UpdateCommand).rejects(awsError('InternalServerError'));

    await expect(makeCatalog().markEmbeddingStale('onepiece-108', request)).rejects.toThrow(
      'InternalServerError',
    );
  });

  it('rejects a non-positive page bound', () => {
    expect(() => new DynamoDbProductCatalog(documents, { tableName, maxScanPages: 0 })).toThrow(RangeError);
  });
});
