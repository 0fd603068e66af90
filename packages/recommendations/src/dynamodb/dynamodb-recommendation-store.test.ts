// The DynamoDB recommendation store's requests and the paths a healthy table rarely shows; the
// behaviour suite runs against the embedded DynamoDB in test/integration/event-consumer-stores.test.ts.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { awsError } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RecommendationStoreUnavailableError } from '../recommendation-store.js';
import { DynamoDbRecommendationStore } from './dynamodb-recommendation-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-recommendations';
const store = () => new DynamoDbRecommendationStore(documents, { tableName });
const list = {
  segment: 'shonen',
  product_ids: ['onepiece-108'],
  model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
  generated_at: '2026-12-07T06:00:00.000Z',
};

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoDbRecommendationStore', () => {
  it('puts a list on condition that no later one is stored', async () => {
    dynamo.on(PutCommand).resolves({});

    await expect(store().put(list)).resolves.toBe('stored');
    expect(dynamo).toReceiveCommandWith(PutCommand, {
      TableName: tableName,
      Item: list,
      ConditionExpression: 'attribute_not_exists(#generatedAt) OR #generatedAt <= :at',
      ExpressionAttributeValues: { ':at': list.generated_at },
    });
  });

  it('is stale when the condition fails, and unavailable for any other failure', async () => {
    dynamo
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'later list', $metadata: {} }))
      .rejectsOnce(awsError('ProvisionedThroughputExceededException'));

    await expect(store().put(list)).resolves.toBe('stale');
    await expect(store().put(list)).rejects.toThrow(RecommendationStoreUnavailableError);
  });

  it('reads strongly consistently, and skips items that are not lists', async () => {
    dynamo.on(GetCommand).resolves({ Item: { segment: 'shonen', note: 'written by hand' } });
    dynamo.on(ScanCommand).resolves({ Items: [list, { segment: 'shojo' }, { ...list, segment: 'seinen' }] });

    await expect(store().get('shonen')).resolves.toBeUndefined();
    expect(dynamo).toReceiveCommandWith(GetCommand, { Key: { segment: 'shonen' }, ConsistentRead: true });
    await expect(store().list()).resolves.toEqual([{ ...list, segment: 'seinen' }, list]);
  });

  it('reports an unreachable table as unavailable on every read', async () => {
    dynamo.on(GetCommand).rejects(awsError('InternalServerError'));
    dynamo.on(ScanCommand).rejects(awsError('InternalServerError'));

    await expect(store().get('shonen')).rejects.toThrow(RecommendationStoreUnavailableError);
    await expect(store().list()).rejects.toThrow(RecommendationStoreUnavailableError);
  });
});
