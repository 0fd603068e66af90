/**
 * Integration tests against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). A missing
 * Redis fails them: start one with `docker run -p 6379:6379 redis:7` or `redis-server`.
 */
import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import { recordingLogger, scriptedRedisServer } from '@mangaassist/commons/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetGuard } from '../budget-guard.js';
import { UsageLedgerUnavailableError } from '../store-errors.js';
import { TenantDirectory } from '../tenant-directory.js';
import { closedPort, tenant, untilReady, wallClock } from '../testing/tenant-fixtures.js';
import { RedisUsageLedger, type RedisUsageLedgerOptions, usageKey } from './redis-usage-ledger.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clients: RedisConnection[] = [];
const usedKeys = new Set<string>();
/** Two clients: two instances of the service, sharing nothing but Redis. */
let instanceA: RedisConnection;
let instanceB: RedisConnection;

function track(client: RedisConnection): RedisConnection {
  clients.push(client);
  return client;
}

/** A tenant id no other test (or test run) uses; its keys are deleted afterwards. */
function freshTenantId(): string {
  return `t-${randomUUID()}`;
}

function trackDay(tenantId: string, day: string): string {
  const key = usageKey(tenantId, day);
  usedKeys.add(key);
  return key;
}

function ledgerOn(client: RedisConnection, options: RedisUsageLedgerOptions = {}): RedisUsageLedger {
  // A generous timeout against the real server keeps a loaded CI machine from flaking.
  return new RedisUsageLedger(client, { commandTimeoutMs: 2_000, ...options });
}

function usage(costUsd: number) {
  return { costUsd, inputTokens: 3, outputTokens: 7 };
}

beforeAll(async () => {
  instanceA = track(createRedisClient(redisUrl));
  instanceB = track(createRedisClient(redisUrl));
  await Promise.all([untilReady(instanceA, redisUrl), untilReady(instanceB, redisUrl)]);
});

afterAll(async () => {
  if (instanceA.status === 'ready' && usedKeys.size > 0) await instanceA.del(...usedKeys);
  for (const client of clients) {
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }
});

describe('RedisUsageLedger with Redis up', () => {
  it('reads an untouched day as zero', async () => {
    await expect(ledgerOn(instanceA).spent(freshTenantId(), '2025-01-01')).resolves.toEqual({
      costUsd: 0,
      inputTokens: 0,
      outputTokens: 0,
      requests: 0,
    });
  });

  it('sums 100 concurrent adds from two instances exactly', async () => {
    const tenantId = freshTenantId();
    trackDay(tenantId, '2025-01-01');
    const ledgers = [ledgerOn(instanceA), ledgerOn(instanceB)];
    await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        ledgers[index % 2]?.add(tenantId, '2025-01-01', { costUsd: 0.0625, inputTokens: 3, outputTokens: 7 }),
      ),
    );
    await expect(ledgerOn(instanceB).spent(tenantId, '2025-01-01')).resolves.toEqual({
      costUsd: 6.25,
      inputTokens: 300,
      outputTokens: 700,
      requests: 100,
    });
  });

  it('stores one hash per tenant and day, with the documented fields, expiring after the retention', async () => {
    const tenantId = freshTenantId();
    const key = trackDay(tenantId, '2025-01-01');
    await ledgerOn(instanceA, { retentionSeconds: 3_600 }).add(tenantId, '2025-01-01', usage(0.5));
    await expect(instanceA.hgetall(key)).resolves.toEqual({
      cost_usd: '0.5',
      input_tokens: '3',
      output_tokens: '7',
      requests: '1',
    });
    const ttl = await instanceA.ttl(key);
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
  });

  it('keeps three days by default', async () => {
    const tenantId = freshTenantId();
    const key = trackDay(tenantId, '2025-01-01');
    await ledgerOn(instanceA).add(tenantId, '2025-01-01', usage(0.5));
    expect(await instanceA.ttl(key)).toBeGreaterThan(3 * 86_400 - 60);
  });

  it('counts the first request of a new instance, whose connection is still being made', async () => {
    const tenantId = freshTenantId();
    trackDay(tenantId, '2025-01-01');
    const coldClient = track(createRedisClient(redisUrl));
    expect(coldClient.status).not.toBe('ready');
    await ledgerOn(coldClient).add(tenantId, '2025-01-01', usage(0.5));
    await expect(ledgerOn(instanceA).spent(tenantId, '2025-01-01')).resolves.toMatchObject({ requests: 1 });
  });

  it('refuses usage that is negative, not finite, or fractional tokens', async () => {
    const ledger = ledgerOn(instanceA);
    const tenantId = freshTenantId();
    await expect(ledger.add(tenantId, '2025-01-01', usage(-1))).rejects.toThrow(RangeError);
    await expect(ledger.add(tenantId, '2025-01-01', usage(Number.NaN))).rejects.toThrow(RangeError);
    await expect(
      ledger.add(tenantId, '2025-01-01', { costUsd: 0, inputTokens: 1.5, outputTokens: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(ledger.spent(tenantId, '2025-01-01')).resolves.toMatchObject({ requests: 0 });
  });
});

describe('BudgetGuard over Redis', () => {
  function setup(dailyBudgetUsd: number) {
    const tenantId = freshTenantId();
    const tenants = TenantDirectory.fromConfig({ tenants: [tenant({ id: tenantId, dailyBudgetUsd })] });
    const clock = wallClock(Date.UTC(2025, 0, 1, 23, 0));
    const guardA = new BudgetGuard({ ledger: ledgerOn(instanceA), tenants, now: clock.now });
    const guardB = new BudgetGuard({ ledger: ledgerOn(instanceB), tenants, now: clock.now });
    trackDay(tenantId, '2025-01-01');
    trackDay(tenantId, '2025-01-02');
    return { tenantId, guardA, guardB, clock };
  }

  it('enforces a budget across instances: spend on one denies on the other', async () => {
    const { tenantId, guardA, guardB } = setup(0.01);
    await guardA.record(tenantId, usage(0.006));
    await expect(guardB.check(tenantId)).resolves.toEqual({ allowed: true });
    await guardB.record(tenantId, usage(0.005));
    for (const guard of [guardA, guardB]) {
      const decision = await guard.check(tenantId);
      expect(decision).toMatchObject({ allowed: false, budgetUsd: 0.01, retryAfterSeconds: 3_600 });
      expect(decision.allowed === false && decision.spentUsd).toBeCloseTo(0.011, 10);
    }
  });

  it('starts every UTC day with a fresh budget', async () => {
    const { tenantId, guardA, guardB, clock } = setup(0.01);
    await guardA.record(tenantId, usage(0.02));
    await expect(guardB.check(tenantId)).resolves.toMatchObject({ allowed: false });
    clock.set(Date.UTC(2025, 0, 2, 0, 0, 1));
    await expect(guardB.check(tenantId)).resolves.toEqual({ allowed: true });
    await guardB.record(tenantId, usage(0.001));
    await expect(ledgerOn(instanceA).spent(tenantId, '2025-01-02')).resolves.toMatchObject({ requests: 1 });
  });

  it('enforces the budget from the first request of a new instance (no failing open on a cold start)', async () => {
    const { tenantId, guardA } = setup(0.01);
    await guardA.record(tenantId, usage(0.02));
    const coldClient = track(createRedisClient(redisUrl));
    const tenants = TenantDirectory.fromConfig({ tenants: [tenant({ id: tenantId, dailyBudgetUsd: 0.01 })] });
    const coldGuard = new BudgetGuard({
      ledger: ledgerOn(coldClient),
      tenants,
      now: wallClock(Date.UTC(2025, 0, 1, 23, 0)).now,
    });
    await expect(coldGuard.check(tenantId)).resolves.toMatchObject({ allowed: false });
  });
});

describe('RedisUsageLedger with Redis unreachable', () => {
  it('fails its calls with UsageLedgerUnavailableError and logs the outage once', async () => {
    const logger = recordingLogger();
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    const ledger = new RedisUsageLedger(client, { logger });
    await expect(ledger.spent('manga-store', '2025-01-01')).rejects.toThrow(UsageLedgerUnavailableError);
    await expect(ledger.add('manga-store', '2025-01-01', usage(0.5))).rejects.toThrow(
      UsageLedgerUnavailableError,
    );
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'warn', message: 'Usage ledger (Redis) unavailable' }),
    ]);
  });

  it('lets the budget guard allow requests and drop usage, without throwing', async () => {
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    const guard = new BudgetGuard({
      ledger: new RedisUsageLedger(client),
      tenants: TenantDirectory.fromConfig({ tenants: [tenant({ id: 'small-shop', dailyBudgetUsd: 0.01 })] }),
    });
    await expect(guard.check('small-shop')).resolves.toEqual({ allowed: true });
    await expect(guard.record('small-shop', usage(1))).resolves.toBeUndefined();
  });

  it('gives up after commandTimeoutMs on a Redis that accepts the connection but never answers', async () => {
    // Answers the handshake, then nothing.
    const server = await scriptedRedisServer(() => {});
    try {
      const client = track(createRedisClient(`redis://127.0.0.1:${server.port}`));
      await untilReady(client, `silent server on ${server.port}`);
      const ledger = new RedisUsageLedger(client, { commandTimeoutMs: 50 });
      await expect(ledger.spent('manga-store', '2025-01-01')).rejects.toThrow('No reply within 50 ms');
      await expect(ledger.add('manga-store', '2025-01-01', usage(0.5))).rejects.toThrow(
        UsageLedgerUnavailableError,
      );
    } finally {
      server.close();
    }
  });
});
