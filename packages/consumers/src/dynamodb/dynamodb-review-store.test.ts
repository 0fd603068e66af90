// The DynamoDB review store's requests and the paths a healthy table rarely shows (corrupt items,
// errors); the behaviour suite runs against the embedded DynamoDB in
// test/integration/event-consumer-stores.test.ts.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { recordingLogger } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { reviewHiding, reviewModeration } from '../testing/review-store-behaviour.js';
import { DynamoDbReviewStore } from './dynamodb-review-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-reviews';

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoDbReviewStore', () => {
  it('hides a review on condition that it is not hidden yet', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const hiding = reviewHiding({ sourceEventId: 'evt-9' });

    expect(await new DynamoDbReviewStore(documents, { tableName }).hide('r-1', 'p-1', hiding)).toBe('hidden');
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      Key: { review_id: 'r-1' },
      ConditionExpression: 'attribute_not_exists(#hidden) OR #hidden = :false',
      ExpressionAttributeValues: expect.objectContaining({
        ':true': true,
        ':reason': hiding.reason,
        ':severity': 'high',
        ':source': 'evt-9',
      }),
    });
  });

  it('reports a failed condition as already hidden', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    expect(await new DynamoDbReviewStore(documents, { tableName }).hide('r-1', 'p-1', reviewHiding())).toBe(
      'already_hidden',
    );
  });

  it('records a verdict as a map, keeping the first product id', async () => {
    dynamo.on(UpdateCommand).resolves({});
    await new DynamoDbReviewStore(documents, { tableName }).recordModeration(
      'r-1',
      'p-1',
      reviewModeration(),
    );
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #moderation = :moderation, #product = if_not_exists(#product, :product)',
      ExpressionAttributeValues: expect.objectContaining({
        ':moderation': expect.objectContaining({ safe: true, review_required: false }),
      }),
    });
  });

  it('reads corrupt parts of an item as absent, and warns', async () => {
    dynamo.on(GetCommand).resolves({
      Item: { review_id: 'r-1', product_id: 'p-1', moderation: { safe: 'yes' }, hidden: true },
    });
    const logger = recordingLogger();
    expect(await new DynamoDbReviewStore(documents, { tableName, logger }).get('r-1')).toStrictEqual({
      reviewId: 'r-1',
      productId: 'p-1',
    });
    expect(logger.entries.filter((entry) => entry.level === 'warn').length).toBeGreaterThan(0);
  });
});
