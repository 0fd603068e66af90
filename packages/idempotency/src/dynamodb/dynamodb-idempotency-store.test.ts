// The DynamoDB idempotency store's requests and the failure paths a healthy DynamoDB never takes on
// request (an SDK retry of a claim that succeeded unseen, an item changing between a failed claim
// and its read, errors); the behaviour suite runs against the embedded DynamoDB in
// test/integration/webhook-idempotency.test.ts.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { awsError, recordingLogger } from '@mangaassist/commons/testing';
import { webhookLimits } from '@mangaassist/contracts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { idempotencyLimits } from '../idempotency-rules.js';
import { deliverySummary } from '../testing/idempotency-store-behaviour.js';
import {
  DynamoDbIdempotencyStore,
  type DynamoDbIdempotencyStoreOptions,
} from './dynamodb-idempotency-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-webhook-idempotency';
const now = Date.UTC(2026, 0, 1);
const key = 'stripe:evt_1';

beforeEach(() => {
  dynamo.reset();
});

function makeStore(options: Partial<DynamoDbIdempotencyStoreOptions> = {}) {
  return new DynamoDbIdempotencyStore(documents, { tableName, now: () => now, ...options });
}

function conditionFailed() {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function inProgressItem(overrides: Record<string, unknown> = {}) {
  return {
    idempotency_key: key,
    status: 'IN_PROGRESS',
    claim_token: 'other-token',
    in_progress_until: now + 30_000,
    expires_at: now / 1_000 + 3_600,
    ...overrides,
  };
}

function completedItem(overrides: Record<string, unknown> = {}) {
  return {
    idempotency_key: key,
    status: 'COMPLETED',
    claim_token: 'other-token',
    summary: deliverySummary(),
    expires_at: now / 1_000 + 3_600,
    ...overrides,
  };
}

describe('DynamoDbIdempotencyStore.claim', () => {
  it('puts an in-progress item on condition that the key is absent, expired or past its in-progress time', async () => {
    dynamo.on(PutCommand).resolves({});
    const result = await makeStore().claim(key, { inProgressSeconds: 60 });
    expect(result).toStrictEqual({ status: 'claimed', token: expect.any(String) });
    expect(dynamo).toReceiveCommandWith(PutCommand, {
      TableName: tableName,
      Item: {
        idempotency_key: key,
        status: 'IN_PROGRESS',
        claim_token: result.status === 'claimed' ? result.token : '',
        in_progress_until: now + 60_000,
        expires_at: now / 1_000 + webhookLimits.idempotencyTtlSeconds,
      },
      ConditionExpression:
        'attribute_not_exists(#key) OR #expires <= :nowSeconds OR (#status = :inProgress AND #until <= :now)',
      ExpressionAttributeNames: {
        '#key': 'idempotency_key',
        '#expires': 'expires_at',
        '#status': 'status',
        '#until': 'in_progress_until',
      },
      ExpressionAttributeValues: { ':now': now, ':nowSeconds': now / 1_000, ':inProgress': 'IN_PROGRESS' },
    });
  });

  it('explains a failed claim with one strongly consistent read: completed with its summary', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: completedItem() });
    expect(await makeStore().claim(key, { inProgressSeconds: 60 })).toStrictEqual({
      status: 'completed',
      summary: deliverySummary(),
    });
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      TableName: tableName,
      Key: { idempotency_key: key },
      ConsistentRead: true,
    });
    expect(dynamo).toReceiveCommandTimes(PutCommand, 1);
  });

  it('explains a failed claim with an unexpired in-progress item as in_progress', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: inProgressItem() });
    expect(await makeStore().claim(key, { inProgressSeconds: 60 })).toStrictEqual({ status: 'in_progress' });
  });

  it('owns the claim when the item carries its own token (the SDK retried a Put that had succeeded)', async () => {
    let written: Record<string, unknown> | undefined;
    dynamo.on(PutCommand).callsFake(async (input: PutCommandInput) => {
      written = input.Item;
      throw conditionFailed();
    });
    dynamo.on(GetCommand).callsFake(async () => ({ Item: written }));
    const result = await makeStore().claim(key, { inProgressSeconds: 60 });
    expect(result).toStrictEqual({ status: 'claimed', token: written?.claim_token });
  });

  it('claims again when the item was released between the failed claim and the read', async () => {
    dynamo.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    dynamo.on(GetCommand).resolves({});
    expect((await makeStore().claim(key, { inProgressSeconds: 60 })).status).toBe('claimed');
    expect(dynamo).toReceiveCommandTimes(PutCommand, 2);
  });

  it('answers in_progress after maxClaimAttempts when the item keeps changing under it', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: inProgressItem({ in_progress_until: now }) });
    expect(await makeStore().claim(key, { inProgressSeconds: 60 })).toStrictEqual({ status: 'in_progress' });
    expect(dynamo).toReceiveCommandTimes(PutCommand, idempotencyLimits.maxClaimAttempts);
  });

  it('answers in_progress for a corrupt item and logs a warning', async () => {
    const logger = recordingLogger();
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { idempotency_key: key, status: 'COMPLETED' } });
    expect(await makeStore({ logger }).claim(key, { inProgressSeconds: 60 })).toStrictEqual({
      status: 'in_progress',
    });
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'Treating a corrupt idempotency record as in progress',
        fields: expect.objectContaining({ table: tableName, key, occurrences: 1 }),
      },
    ]);
  });

  it('lets other DynamoDB errors through', async () => {
    dynamo.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Slow down'));
    await expect(makeStore().claim(key, { inProgressSeconds: 60 })).rejects.toThrow('Slow down');
    expect(dynamo).toReceiveCommandTimes(GetCommand, 0);
  });
});

describe('DynamoDbIdempotencyStore.complete', () => {
  it('marks the item completed with the summary and a renewed expiry, on condition that the token is ours', async () => {
    dynamo.on(UpdateCommand).resolves({});
    expect(await makeStore({ ttlSeconds: 600 }).complete(key, 'my-token', deliverySummary())).toBe(
      'completed',
    );
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: tableName,
      Key: { idempotency_key: key },
      UpdateExpression: 'SET #status = :completed, #summary = :summary, #expires = :expiresAt REMOVE #until',
      ConditionExpression: '#token = :token AND #expires > :nowSeconds',
      ExpressionAttributeValues: {
        ':completed': 'COMPLETED',
        ':summary': deliverySummary(),
        ':expiresAt': now / 1_000 + 600,
        ':token': 'my-token',
        ':nowSeconds': now / 1_000,
      },
    });
  });

  it('reports claim_lost when the condition fails', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    expect(await makeStore().complete(key, 'stale-token', deliverySummary())).toBe('claim_lost');
  });

  it('lets other DynamoDB errors through', async () => {
    dynamo.on(UpdateCommand).rejects(awsError('InternalServerError', 'boom'));
    await expect(makeStore().complete(key, 'my-token', deliverySummary())).rejects.toThrow('boom');
  });

  it('sends nothing for a summary over the size limit', async () => {
    const huge = { text: 'x'.repeat(idempotencyLimits.maxSummaryBytes) };
    await expect(makeStore().complete(key, 'my-token', huge)).rejects.toBeInstanceOf(RangeError);
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 0);
  });
});

describe('DynamoDbIdempotencyStore.release', () => {
  it('deletes the item on condition that it is our claim, still in progress', async () => {
    dynamo.on(DeleteCommand).resolves({});
    await makeStore().release(key, 'my-token');
    expect(dynamo).toReceiveCommandWith(DeleteCommand, {
      TableName: tableName,
      Key: { idempotency_key: key },
      ConditionExpression: '#token = :token AND #status = :inProgress',
      ExpressionAttributeNames: { '#token': 'claim_token', '#status': 'status' },
      ExpressionAttributeValues: { ':token': 'my-token', ':inProgress': 'IN_PROGRESS' },
    });
  });

  it('does nothing, without error, when the claim is not ours', async () => {
    dynamo.on(DeleteCommand).rejects(conditionFailed());
    await expect(makeStore().release(key, 'stale-token')).resolves.toBeUndefined();
  });

  it('lets other DynamoDB errors through', async () => {
    dynamo.on(DeleteCommand).rejects(awsError('InternalServerError', 'boom'));
    await expect(makeStore().release(key, 'my-token')).rejects.toThrow('boom');
  });
});

describe('DynamoDbIdempotencyStore options', () => {
  it('rejects a ttl that is not a positive integer number of seconds', () => {
    expect(() => makeStore({ ttlSeconds: 1.5 })).toThrow(RangeError);
  });
});
