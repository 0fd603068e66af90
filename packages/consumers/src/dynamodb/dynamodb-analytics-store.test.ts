// The DynamoDB analytics store's requests and its failure paths; the behaviour suite runs against
// the embedded DynamoDB in test/integration/analytics-store.test.ts.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsError } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { analyticsExpiresAt } from '../analytics-items.js';
import { latencyBucket } from '../latency-sketch.js';
import { attentionEntry, inferenceUsage } from '../testing/analytics-store-behaviour.js';
import { DynamoDbAnalyticsStore, type DynamoDbAnalyticsStoreOptions } from './dynamodb-analytics-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-inference-analytics';

beforeEach(() => {
  dynamo.reset();
});

function makeStore(options: Partial<DynamoDbAnalyticsStoreOptions> = {}) {
  return new DynamoDbAnalyticsStore(documents, { tableName, ...options });
}

function conditionFailed() {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

describe('DynamoDbAnalyticsStore.recordInference', () => {
  it('adds every counter and sets the expiry in one update of <model>#<day>', async () => {
    dynamo.on(UpdateCommand).resolves({});

    await makeStore().recordInference(inferenceUsage({ model: 'haiku', day: '2026-01-01', latencyMs: 900 }));

    const input = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual({ pk: 'haiku#2026-01-01' });
    expect(input?.ConditionExpression).toBeUndefined();
    expect(input?.UpdateExpression).toMatch(/^SET #model = :model, #day = :day, #expires = :expires ADD /);
    const names = input?.ExpressionAttributeNames ?? {};
    const values = input?.ExpressionAttributeValues ?? {};
    const added = Object.fromEntries(
      Object.entries(names)
        .filter(([placeholder]) => placeholder.startsWith('#c'))
        .map(([placeholder, name]) => [name, values[`:${placeholder.slice(1)}`]]),
    );
    expect(added).toMatchObject({ requests: 1, status_success: 1, cost_nano_usd: 320_000 });
    expect(added[`latency_b${latencyBucket(900)}`]).toBe(1);
    expect(values[':expires']).toBe(analyticsExpiresAt('2026-01-01'));
  });

  it('honours a configured TTL in days', async () => {
    dynamo.on(UpdateCommand).resolves({});

    await makeStore({ ttlDays: 30 }).recordInference(inferenceUsage({ day: '2026-01-01' }));

    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({
        ':expires': analyticsExpiresAt('2026-01-01', 30),
      }),
    });
  });

  it('lets SDK errors through, so the consumer fails and the event is retried', async () => {
    dynamo.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException'));

    await expect(makeStore().recordInference(inferenceUsage())).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
  });

  it('sends nothing for an invalid usage', async () => {
    await expect(makeStore().recordInference(inferenceUsage({ outputTokens: -3 }))).rejects.toThrow(
      RangeError,
    );

    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('DynamoDbAnalyticsStore.recordAttention', () => {
  it('appends on condition that the list has room and lacks the request', async () => {
    dynamo.on(UpdateCommand).resolves({});

    expect(await makeStore({ maxAttentionEntries: 7 }).recordAttention('2026-01-01', attentionEntry())).toBe(
      'recorded',
    );

    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      Key: { pk: 'attention#2026-01-01' },
      ConditionExpression:
        '(attribute_not_exists(#entries) OR size(#entries) < :max) AND NOT contains(#ids, :id)',
      ExpressionAttributeValues: expect.objectContaining({ ':max': 7 }),
    });
  });

  it('answers duplicate, writing nothing more, when the list already holds the request', async () => {
    const entry = attentionEntry();
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'attention#2026-01-01', request_ids: new Set([entry.requestId]) } });

    expect(await makeStore().recordAttention('2026-01-01', entry)).toBe('duplicate');
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('only counts an entry past a full list', async () => {
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    dynamo.on(GetCommand).resolves({ Item: { pk: 'attention#2026-01-01', request_ids: new Set(['other']) } });

    expect(await makeStore().recordAttention('2026-01-01', attentionEntry())).toBe('dropped');
    expect(dynamo.commandCalls(UpdateCommand)[1]?.args[0].input.UpdateExpression).toBe(
      'SET #day = :day, #expires = :expires ADD #total :one, #dropped :one',
    );
  });

  it('answers duplicate when the request arrived between the full-list check and the count', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { pk: 'attention#2026-01-01' } });

    expect(await makeStore().recordAttention('2026-01-01', attentionEntry())).toBe('duplicate');
  });

  it('lets other SDK errors through', async () => {
    dynamo.on(UpdateCommand).rejects(awsError('InternalServerError'));

    await expect(makeStore().recordAttention('2026-01-01', attentionEntry())).rejects.toThrow(
      'InternalServerError',
    );
  });
});

describe('DynamoDbAnalyticsStore reads', () => {
  it('skips stored attention entries that lost their shape', async () => {
    const entry = attentionEntry();
    dynamo.on(GetCommand).resolves({
      Item: {
        pk: 'attention#2026-01-01',
        entries: [
          {
            request_id: entry.requestId,
            tenant_id: entry.tenantId,
            model: entry.model,
            status: entry.status,
            reasons: entry.reasons,
            latency_ms: entry.latencyMs,
            cost_usd: entry.costUsd,
            event_id: entry.eventId,
            at: entry.at,
          },
          { request_id: 'broken' },
        ],
        total: 2,
      },
    });

    expect(await makeStore().attention('2026-01-01')).toEqual({
      day: '2026-01-01',
      entries: [entry],
      total: 2,
      dropped: 0,
    });
  });

  it('reads strongly consistently', async () => {
    dynamo.on(GetCommand).resolves({});

    expect(await makeStore().dailyStats('haiku', '2026-01-01')).toBeUndefined();
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      Key: { pk: 'haiku#2026-01-01' },
      ConsistentRead: true,
    });
  });
});

describe('DynamoDbAnalyticsStore options', () => {
  it.each([0, 501, 1.5])('rejects maxAttentionEntries %s', (maxAttentionEntries) => {
    expect(() => makeStore({ maxAttentionEntries })).toThrow(RangeError);
  });

  it('rejects a TTL that is not a positive number of days', () => {
    expect(() => makeStore({ ttlDays: 0 })).toThrow(RangeError);
  });
});
