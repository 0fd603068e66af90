// The DynamoDB analytics store through the real SDK clients against the embedded DynamoDB
// (dynalite), with the table created from the same spec the CDK stack deploys: the shared
// behaviour suite (50 concurrent adds sum exactly), then the stored item's layout.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { analyticsExpiresAt } from '@mangaassist/consumers';
import { DynamoDbAnalyticsStore, type DynamoDbAnalyticsStoreOptions } from '@mangaassist/consumers/dynamodb';
import {
  attentionEntry,
  describeAnalyticsStore,
  freshDay,
  freshModel,
  inferenceUsage,
} from '@mangaassist/consumers/testing';
import { inferenceAnalyticsTable } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { testTableName, useEmbeddedDynamoDb } from './embedded-dynamodb.js';

const table = testTableName(inferenceAnalyticsTable);

const documents = useEmbeddedDynamoDb([inferenceAnalyticsTable]);

function analyticsStore(options: Partial<DynamoDbAnalyticsStoreOptions> = {}) {
  return new DynamoDbAnalyticsStore(documents(), { tableName: table, ...options });
}

async function storedItem(pk: string) {
  const { Item: item } = await documents().send(
    new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }),
  );
  return item;
}

describeAnalyticsStore('DynamoDbAnalyticsStore on the embedded DynamoDB', (options) =>
  analyticsStore(options),
);

describe('DynamoDbAnalyticsStore items', () => {
  it('keeps a model day as counters under <model>#<day>, expiring 400 days after the day', async () => {
    const model = freshModel();

    await analyticsStore().recordInference(inferenceUsage({ model, day: '2026-03-01', status: 'degraded' }));

    expect(await storedItem(`${model}#2026-03-01`)).toMatchObject({
      pk: `${model}#2026-03-01`,
      model,
      day: '2026-03-01',
      requests: 1,
      status_degraded: 1,
      cost_nano_usd: 320_000,
      expires_at: analyticsExpiresAt('2026-03-01'),
    });
  });

  it('sums 200 concurrent inferences from four store instances exactly', async () => {
    const model = freshModel();
    const stores = Array.from({ length: 4 }, () => analyticsStore());

    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        stores[index % 4]?.recordInference(inferenceUsage({ model, outputTokens: 3, costNanoUsd: 7 })),
      ),
    );

    const stats = await analyticsStore().dailyStats(model, '2026-01-01');
    expect(stats?.requests).toBe(200);
    expect(stats?.outputTokens).toBe(600);
    expect(stats?.costNanoUsd).toBe(1_400);
  });

  it('keeps an attention list under attention#<day> with its request ids', async () => {
    const day = freshDay();
    const entry = attentionEntry({ requestId: 'req-attention-1' });

    await analyticsStore().recordAttention(day, entry);

    const item = await storedItem(`attention#${day}`);
    expect(item).toMatchObject({ day, total: 1, expires_at: analyticsExpiresAt(day) });
    expect(item?.request_ids).toEqual(new Set(['req-attention-1']));
    expect(item?.entries).toEqual([
      expect.objectContaining({ request_id: 'req-attention-1', reasons: entry.reasons }),
    ]);
  });
});
