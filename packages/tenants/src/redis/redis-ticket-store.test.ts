/**
 * Integration tests against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). A missing
 * Redis fails them: start one with `docker run -p 6379:6379 redis:7` or `redis-server`.
 */
import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import { recordingLogger } from '@mangaassist/commons/testing';
import type { HttpRequest } from '@mangaassist/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TicketStoreUnavailableError } from '../store-errors.js';
import { closedPort, untilReady } from '../testing/tenant-fixtures.js';
import { makeWsTicketEndpoint } from '../ws-ticket-endpoint.js';
import { RedisTicketStore, ticketKey } from './redis-ticket-store.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clients: RedisConnection[] = [];
const usedKeys = new Set<string>();
let instanceA: RedisConnection;
let instanceB: RedisConnection;

function track(client: RedisConnection): RedisConnection {
  clients.push(client);
  return client;
}

function storeOn(client: RedisConnection): RedisTicketStore {
  return new RedisTicketStore(client, { commandTimeoutMs: 2_000 });
}

async function issued(store: RedisTicketStore, tenantId: string, ttlSeconds = 60): Promise<string> {
  const ticket = await store.issue(tenantId, ttlSeconds);
  usedKeys.add(ticketKey(ticket));
  return ticket;
}

function ticketRequest(tenantId = 'manga-store'): HttpRequest {
  return {
    method: 'POST',
    path: '/v1/ws-tickets',
    headers: {},
    body: new Uint8Array(),
    requestId: `req-${randomUUID()}`,
    tenantId,
  };
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

describe('RedisTicketStore with Redis up', () => {
  it('stores the ticket under ticket:<t> with the tenant and the TTL', async () => {
    const ticket = await issued(storeOn(instanceA), 'manga-store', 60);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(instanceA.get(ticketKey(ticket))).resolves.toBe('manga-store');
    const pttl = await instanceA.pttl(ticketKey(ticket));
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('redeems on another instance exactly once', async () => {
    const ticket = await issued(storeOn(instanceA), 'manga-store');
    const other = storeOn(instanceB);
    await expect(other.redeem(ticket)).resolves.toBe('manga-store');
    await expect(other.redeem(ticket)).resolves.toBeUndefined();
    await expect(instanceA.exists(ticketKey(ticket))).resolves.toBe(0);
  });

  it('gives the tenant to exactly one of many concurrent redeemers', async () => {
    const ticket = await issued(storeOn(instanceA), 'manga-store');
    const stores = [storeOn(instanceA), storeOn(instanceB)];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => stores[index % 2]?.redeem(ticket)),
    );
    expect(results.filter((tenantId) => tenantId === 'manga-store')).toHaveLength(1);
  });

  it('issues and redeems on the first commands of new instances, whose connections are still being made', async () => {
    const issuer = track(createRedisClient(redisUrl));
    const redeemer = track(createRedisClient(redisUrl));
    expect([issuer.status, redeemer.status]).not.toContain('ready');
    const ticket = await issued(storeOn(issuer), 'manga-store');
    await expect(storeOn(redeemer).redeem(ticket)).resolves.toBe('manga-store');
  });

  it('answers undefined for a ticket it never issued', async () => {
    await expect(storeOn(instanceA).redeem('A'.repeat(43))).resolves.toBeUndefined();
  });

  it('refuses a TTL that is not a whole number of seconds >= 1', async () => {
    await expect(storeOn(instanceA).issue('manga-store', 0)).rejects.toThrow(RangeError);
  });

  it('backs the ticket endpoint: 201 with a ticket its tenant can redeem', async () => {
    const store = storeOn(instanceA);
    const response = await makeWsTicketEndpoint({ tickets: store, ttlSeconds: 30 })(
      ticketRequest('small-shop'),
    );
    expect(response.statusCode).toBe(201);
    const body: { ticket: string; expires_in: number } = JSON.parse(response.body);
    usedKeys.add(ticketKey(body.ticket));
    expect(body.expires_in).toBe(30);
    await expect(storeOn(instanceB).redeem(body.ticket)).resolves.toBe('small-shop');
  });
});

describe('RedisTicketStore with Redis unreachable', () => {
  async function unreachableStore(logger = recordingLogger()) {
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    return new RedisTicketStore(client, { logger });
  }

  it('fails issue and redeem with TicketStoreUnavailableError, never "unknown ticket"', async () => {
    const logger = recordingLogger();
    const store = await unreachableStore(logger);
    await expect(store.issue('manga-store', 60)).rejects.toThrow(TicketStoreUnavailableError);
    await expect(store.redeem('A'.repeat(43))).rejects.toThrow(TicketStoreUnavailableError);
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'warn', message: 'Ticket store (Redis) unavailable' }),
    ]);
  });

  it('refuses a malformed ticket without asking Redis', async () => {
    const store = await unreachableStore();
    await expect(store.redeem('not a ticket')).resolves.toBeUndefined();
  });

  it('makes the ticket endpoint answer 503 with Retry-After', async () => {
    const endpoint = makeWsTicketEndpoint({ tickets: await unreachableStore() });
    const response = await endpoint(ticketRequest());
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'tickets_unavailable' } });
  });
});
