// The DynamoDB idempotency store through the real SDK clients against the embedded DynamoDB
// (dynalite), with the table created from the same spec the CDK stack deploys: the shared
// behaviour suite, then exactly-once under 50 concurrent identical deliveries and a crashed attempt.
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@mangaassist/commons';
import { manualClock } from '@mangaassist/commons/testing';
import { webhookIdempotencyTable, webhookLimits } from '@mangaassist/contracts';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import {
  DynamoDbIdempotencyStore,
  type DynamoDbIdempotencyStoreOptions,
} from '@mangaassist/idempotency/dynamodb';
import { claimedToken, deliverySummary, describeIdempotencyStore } from '@mangaassist/idempotency/testing';
import { describe, expect, it, vi } from 'vitest';
import { testTableName, useEmbeddedDynamoDb } from './embedded-dynamodb.js';

const table = testTableName(webhookIdempotencyTable);
const epoch = Date.UTC(2026, 0, 1);
const inProgressSeconds = webhookLimits.inProgressTtlSeconds;

const documents = useEmbeddedDynamoDb([webhookIdempotencyTable]);

function idempotencyStore(options: Partial<DynamoDbIdempotencyStoreOptions> = {}) {
  return new DynamoDbIdempotencyStore(documents(), { tableName: table, ...options });
}

/** A fresh `source:event-id`, so tests sharing the table never see each other's items. */
function freshKey(source = 'stripe') {
  return `${source}:evt_${randomUUID()}`;
}

async function storedItem(key: string) {
  const { Item: item } = await documents().send(
    new GetCommand({ TableName: table, Key: { idempotency_key: key }, ConsistentRead: true }),
  );
  return item;
}

/**
 * A receiver's use of the store, reduced to what exactly-once depends on: claim, process (publish
 * one event), complete — or release when processing fails — and the status codes it answers. Each
 * delivery lands on the next of `instances` (concurrent Lambda instances, one table).
 */
function fakeReceiver(
  instances: readonly IdempotencyStore[],
  processor: (key: string) => Promise<void> = async () => {},
) {
  const events: string[] = [];
  let processings = 0;
  let deliveries = 0;
  const deliver = async (key: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const store = instances[deliveries++ % instances.length];
    if (store === undefined) throw new Error('no instances');
    const claim = await store.claim(key, { inProgressSeconds });
    if (claim.status === 'completed') return { status: 200, body: { status: 'already_processed' } };
    if (claim.status === 'in_progress') return { status: 409, body: { error: 'in_progress' } };
    processings++;
    try {
      await processor(key);
    } catch {
      await store.release(key, claim.token);
      return { status: 500, body: { error: 'processing_failed' } };
    }
    events.push(key);
    await store.complete(key, claim.token, deliverySummary());
    return { status: 200, body: { status: 'processed' } };
  };
  return { deliver, events, processings: () => processings };
}

describeIdempotencyStore('DynamoDbIdempotencyStore on the embedded DynamoDB', (options) =>
  idempotencyStore(options),
);

describe('DynamoDbIdempotencyStore exactly once on the embedded DynamoDB', () => {
  it('lets exactly one of 50 concurrent claims win, then answers 50 more with the stored summary', async () => {
    const key = freshKey();
    const store = idempotencyStore();
    const first = await Promise.all(
      Array.from({ length: 50 }, () => store.claim(key, { inProgressSeconds })),
    );
    const winners = first.filter((result) => result.status === 'claimed');
    expect(winners).toHaveLength(1);
    expect(first.filter((result) => result.status === 'in_progress')).toHaveLength(49);

    const [winner] = winners;
    if (winner?.status !== 'claimed') throw new Error('no winner');
    expect(await store.complete(key, winner.token, deliverySummary())).toBe('completed');
    const second = await Promise.all(
      Array.from({ length: 50 }, () => store.claim(key, { inProgressSeconds })),
    );
    expect(second).toStrictEqual(
      Array.from({ length: 50 }, () => ({ status: 'completed', summary: deliverySummary() })),
    );
  });

  it('processes 50 concurrent identical deliveries once, publishing one event, however often senders retry', async () => {
    const key = freshKey();
    const receiver = fakeReceiver(
      Array.from({ length: 5 }, () => idempotencyStore()),
      () => new Promise((resolve) => setTimeout(resolve, 20)),
    );
    let answers = await Promise.all(Array.from({ length: 50 }, () => receiver.deliver(key)));
    expect(answers.filter((answer) => answer.body.status === 'processed')).toHaveLength(1);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);

    // The senders retry every 409 (retryable) until each delivery is acknowledged.
    for (let round = 0; answers.some((answer) => answer.status !== 200); round++) {
      expect(round).toBeLessThan(20);
      await new Promise((resolve) => setTimeout(resolve, 20));
      answers = await Promise.all(
        answers.map((answer) => (answer.status === 200 ? answer : receiver.deliver(key))),
      );
    }
    expect(receiver.processings()).toBe(1);
    expect(receiver.events).toEqual([key]);
    expect(answers.filter((answer) => answer.body.status === 'already_processed')).toHaveLength(49);
  });

  it('releases the claim when processing fails, so the sender retry is processed', async () => {
    const key = freshKey('reviews');
    let failures = 1;
    const receiver = fakeReceiver([idempotencyStore()], async () => {
      if (failures-- > 0) throw new Error('model down');
    });
    expect((await receiver.deliver(key)).status).toBe(500);
    expect(await receiver.deliver(key)).toStrictEqual({ status: 200, body: { status: 'processed' } });
    expect(await receiver.deliver(key)).toStrictEqual({ status: 200, body: { status: 'already_processed' } });
    expect(receiver.processings()).toBe(2);
    expect(receiver.events).toEqual([key]);
  });

  it('lets the retry after a crashed attempt win once the in-progress time has run out', async () => {
    const key = freshKey('catalog');
    const clock = manualClock(epoch);
    const crashed = idempotencyStore({ now: clock.now });
    const retrying = idempotencyStore({ now: clock.now });

    const lost = claimedToken(await crashed.claim(key, { inProgressSeconds }));
    clock.advanceSeconds(inProgressSeconds - 1);
    expect(await retrying.claim(key, { inProgressSeconds })).toStrictEqual({ status: 'in_progress' });
    clock.advanceSeconds(1);
    const token = claimedToken(await retrying.claim(key, { inProgressSeconds }));

    expect(await crashed.complete(key, lost, deliverySummary({ by: 'crashed' }))).toBe('claim_lost');
    expect(await retrying.complete(key, token, deliverySummary({ by: 'retry' }))).toBe('completed');
    expect(await crashed.claim(key, { inProgressSeconds })).toStrictEqual({
      status: 'completed',
      summary: deliverySummary({ by: 'retry' }),
    });
  });
});

describe('DynamoDbIdempotencyStore items', () => {
  it('writes an in-progress item, then a completed one that expires seven days after completion', async () => {
    const key = freshKey();
    const clock = manualClock(epoch);
    const store = idempotencyStore({ now: clock.now });
    const token = claimedToken(await store.claim(key, { inProgressSeconds: 60 }));
    expect(await storedItem(key)).toStrictEqual({
      idempotency_key: key,
      status: 'IN_PROGRESS',
      claim_token: token,
      in_progress_until: epoch + 60_000,
      expires_at: epoch / 1_000 + webhookLimits.idempotencyTtlSeconds,
    });
    clock.advanceSeconds(5);
    await store.complete(key, token, deliverySummary());
    expect(await storedItem(key)).toStrictEqual({
      idempotency_key: key,
      status: 'COMPLETED',
      claim_token: token,
      summary: deliverySummary(),
      expires_at: epoch / 1_000 + 5 + webhookLimits.idempotencyTtlSeconds,
    });
  });

  it('treats an expired item that DynamoDB has not deleted yet as absent', async () => {
    const key = freshKey();
    const clock = manualClock(epoch);
    const store = idempotencyStore({ now: clock.now, ttlSeconds: 600 });
    await store.complete(key, claimedToken(await store.claim(key, { inProgressSeconds })), deliverySummary());
    clock.advanceSeconds(600);
    expect((await storedItem(key))?.status).toBe('COMPLETED');
    expect((await store.claim(key, { inProgressSeconds })).status).toBe('claimed');
  });

  it('answers in_progress for a corrupt item and logs a warning instead of processing again', async () => {
    const key = freshKey();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn<Logger['warn']>(), error: vi.fn() };
    await documents().send(
      new PutCommand({ TableName: table, Item: { idempotency_key: key, status: 'DONE' } }),
    );
    expect(await idempotencyStore({ logger }).claim(key, { inProgressSeconds })).toStrictEqual({
      status: 'in_progress',
    });
    expect(logger.warn).toHaveBeenCalledWith(
      'Treating a corrupt idempotency record as in progress',
      expect.objectContaining({ table, key }),
    );
  });
});
