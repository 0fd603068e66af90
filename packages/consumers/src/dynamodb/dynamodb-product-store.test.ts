// The DynamoDB product store's requests and the paths a healthy table rarely shows (a corrupt
// item, errors); the behaviour suite runs against the embedded DynamoDB in
// test/integration/event-consumer-stores.test.ts.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { recordingLogger } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { productAiContent } from '../testing/product-store-behaviour.js';
import { DynamoDbProductStore } from './dynamodb-product-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-products';

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoDbProductStore', () => {
  const nothingLater =
    '(attribute_not_exists(#updatedAt) OR #updatedAt < :at OR ' +
    '(#updatedAt = :at AND (attribute_not_exists(#itemIndex) OR #itemIndex <= :index))) AND ' +
    '(attribute_not_exists(#discontinuedAt) OR #discontinuedAt < :at OR ' +
    '(#discontinuedAt = :at AND (attribute_not_exists(#discontinuedIndex) OR #discontinuedIndex <= :index)))';

  it('upserts the ai_* attributes and lifts a discontinuation, on condition that nothing later is stored', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const content = productAiContent({ sourceEventId: 'evt-1', itemIndex: 7 });

    expect(await new DynamoDbProductStore(documents, { tableName }).putAiContent('p-1', content)).toBe(
      'updated',
    );
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: tableName,
      Key: { product_id: 'p-1' },
      UpdateExpression:
        'SET #description = :description, #tags = :tags, #model = :model, #updatedAt = :at, ' +
        '#itemIndex = :index, #source = :source ' +
        'REMOVE #discontinuedAt, #discontinuedIndex, #discontinuedSource',
      ConditionExpression: nothingLater,
      ExpressionAttributeNames: {
        '#description': 'ai_description',
        '#tags': 'ai_tags',
        '#model': 'ai_model',
        '#updatedAt': 'ai_updated_at',
        '#itemIndex': 'ai_item_index',
        '#source': 'ai_source_event_id',
        '#discontinuedAt': 'discontinued_at',
        '#discontinuedIndex': 'discontinued_item_index',
        '#discontinuedSource': 'discontinued_source_event_id',
      },
      ExpressionAttributeValues: {
        ':description': content.description,
        ':tags': [...content.tags],
        ':model': content.model,
        ':at': content.updatedAt,
        ':index': 7,
        ':source': 'evt-1',
      },
    });
  });

  it('marks a discontinuation with the discontinued_* attributes only, naming no attribute it does not use', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const discontinuation = { at: '2026-02-01T00:00:00.000Z', itemIndex: 4, sourceEventId: 'batch-1/4' };

    expect(
      await new DynamoDbProductStore(documents, { tableName }).markDiscontinued('p-1', discontinuation),
    ).toBe('updated');
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression:
        'SET #discontinuedAt = :at, #discontinuedIndex = :index, #discontinuedSource = :source',
      ConditionExpression: nothingLater,
      ExpressionAttributeNames: {
        '#updatedAt': 'ai_updated_at',
        '#itemIndex': 'ai_item_index',
        '#discontinuedAt': 'discontinued_at',
        '#discontinuedIndex': 'discontinued_item_index',
        '#discontinuedSource': 'discontinued_source_event_id',
      },
      ExpressionAttributeValues: { ':at': discontinuation.at, ':index': 4, ':source': 'batch-1/4' },
    });
  });

  it('removes a stored item index when written without one, which then counts as first of its time', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const store = new DynamoDbProductStore(documents, { tableName });
    await store.markDiscontinued('p-1', { at: '2026-02-01T00:00:00.000Z', sourceEventId: 'batch-1/4' });
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #discontinuedAt = :at, #discontinuedSource = :source REMOVE #discontinuedIndex',
      ExpressionAttributeValues: { ':at': '2026-02-01T00:00:00.000Z', ':index': -1, ':source': 'batch-1/4' },
    });
  });

  it('reads the item index of the content and of the discontinuation, and items written before it without one', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({
        Item: {
          product_id: 'p-1',
          ai_description: 'd',
          ai_tags: ['a', 'b', 'c', 'd', 'e'],
          ai_model: 'm',
          ai_updated_at: '2026-02-01T00:00:00.000Z',
          ai_item_index: 3,
          ai_source_event_id: 'b/3@t',
          discontinued_at: '2026-02-01T00:00:00.000Z',
          discontinued_item_index: 4,
          discontinued_source_event_id: 'b/4@t',
        },
      })
      .resolvesOnce({
        Item: {
          product_id: 'p-1',
          discontinued_at: '2026-02-01T00:00:00.000Z',
          discontinued_source_event_id: 'b/4',
        },
      });
    const store = new DynamoDbProductStore(documents, { tableName });
    expect(await store.get('p-1')).toMatchObject({
      ai: { updatedAt: '2026-02-01T00:00:00.000Z', itemIndex: 3 },
      discontinued: { at: '2026-02-01T00:00:00.000Z', itemIndex: 4 },
    });
    expect(await store.get('p-1')).toStrictEqual({
      productId: 'p-1',
      discontinued: { at: '2026-02-01T00:00:00.000Z', sourceEventId: 'b/4' },
    });
  });

  it('reports a failed condition as stale', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    expect(
      await new DynamoDbProductStore(documents, { tableName }).putAiContent('p-1', productAiContent()),
    ).toBe('stale');
  });

  it('lets any other error through, for the consumer to retry', async () => {
    dynamo.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(
      new DynamoDbProductStore(documents, { tableName }).putAiContent('p-1', productAiContent()),
    ).rejects.toThrow('throttled');
  });

  it('reads a product whose ai_* attributes are corrupt as without AI content, and warns', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ Item: { product_id: 'p-1', title: 'ONE PIECE', ai_tags: 'not-a-list' } });
    const logger = recordingLogger();
    expect(await new DynamoDbProductStore(documents, { tableName, logger }).get('p-1')).toStrictEqual({
      productId: 'p-1',
    });
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn' }));
  });

  it('reads a catalog item the model never wrote about as without AI content, silently', async () => {
    dynamo.on(GetCommand).resolves({ Item: { product_id: 'p-1', title: 'ONE PIECE' } });
    const logger = recordingLogger();
    expect(await new DynamoDbProductStore(documents, { tableName, logger }).get('p-1')).toStrictEqual({
      productId: 'p-1',
    });
    expect(logger.entries).toHaveLength(0);
  });
});
