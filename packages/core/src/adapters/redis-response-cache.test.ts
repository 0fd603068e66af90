/**
 * Integration tests against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). A missing
 * Redis fails them: start one with `docker run -p 6379:6379 redis:7` or `redis-server`.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedAnswer, cacheEpoch, manualClock } from '../cache/cache-fixtures.js';
import type { CachedAnswer } from '../cache/response-cache.js';
import type { Logger } from '../observability/logger.js';
import {
  createRedisClient,
  RedisResponseCache,
  type RedisResponseCacheOptions,
} from './redis-response-cache.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `test:redis-response-cache:${randomUUID()}:`;
const start = cacheEpoch;
/** Far above any healthy reply and any fail-fast path, far below a hung request. */
const promptBoundMs = 1_000;

const usedKeys = new Set<string>();
const clients: Redis[] = [];
const servers: Server[] = [];
let redis: Redis;

function testKey(name: string): string {
  const key = `${keyPrefix}${name}`;
  usedKeys.add(key);
  return key;
}

interface LogEntry {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

function recordingLogger(): Logger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push({ level, message, fields });
    };
  return {
    entries,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

function track(client: Redis): Redis {
  clients.push(client);
  return client;
}

function cacheOn(client: Redis, options: RedisResponseCacheOptions = {}): RedisResponseCache {
  // A generous command timeout against the real server keeps a loaded CI machine from flaking.
  return new RedisResponseCache(client, { commandTimeoutMs: 2_000, now: manualClock().now, ...options });
}

async function untilReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis is not reachable at ${redisUrl}; start one or set REDIS_URL`)),
      5_000,
    );
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Settles with the promise's value, or `'too slow'` if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'too slow'> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'too slow'>((resolve) => {
    timer = setTimeout(resolve, ms, 'too slow');
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port with nothing listening on it: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/** A server that accepts connections and never answers: a hung Redis. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

beforeAll(async () => {
  redis = track(createRedisClient(redisUrl));
  await untilReady(redis);
});

afterAll(async () => {
  if (redis.status === 'ready' && usedKeys.size > 0) await redis.del(...usedKeys);
  for (const client of clients) {
    // QUIT waits for the server's reply; a hung server never sends one.
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }
  for (const server of servers) {
    server.close();
    server.emit('close');
  }
});

describe('RedisResponseCache with Redis up', () => {
  it('reads back the answer it stored, as fresh', async () => {
    const cache = cacheOn(redis);
    const key = testKey('round-trip');
    await cache.set(key, cachedAnswer());
    expect(await cache.get(key)).toEqual({ answer: cachedAnswer(), fresh: true });
  });

  it('misses a key that was never stored', async () => {
    expect(await cacheOn(redis).get(testKey('never-stored'))).toBeUndefined();
  });

  it('stores the entry with an expiry of the TTL plus the stale TTL', async () => {
    const cache = cacheOn(redis, { ttlSeconds: 60, staleTtlSeconds: 600 });
    const key = testKey('expiry');
    await cache.set(key, cachedAnswer());
    const ttlMs = await redis.pttl(key);
    expect(ttlMs).toBeGreaterThan(600_000);
    expect(ttlMs).toBeLessThanOrEqual(660_000);
  });

  it('serves the answer as stale after the TTL and not at all after the stale TTL', async () => {
    const clock = manualClock();
    const cache = cacheOn(redis, { ttlSeconds: 60, staleTtlSeconds: 600, now: clock.now });
    const key = testKey('fresh-then-stale');
    await cache.set(key, cachedAnswer());
    clock.advanceSeconds(59);
    expect((await cache.get(key))?.fresh).toBe(true);
    clock.advanceSeconds(1);
    expect(await cache.get(key)).toEqual({ answer: cachedAnswer(), fresh: false });
    clock.advanceSeconds(600);
    expect(await cache.get(key)).toBeUndefined();
  });

  it('reads a corrupted entry as a miss and warns about it', async () => {
    const logger = recordingLogger();
    const cache = cacheOn(redis, { logger });
    const corrupted = {
      notJson: '{"text": "途中で切れ',
      wrongShape: JSON.stringify({ text: 42 }),
      truncatedAnswer: JSON.stringify(cachedAnswer({ stopReason: 'max_tokens' })),
    };
    for (const [name, value] of Object.entries(corrupted)) {
      const key = testKey(`corrupted-${name}`);
      await redis.set(key, value, 'PX', 60_000);
      expect(await cache.get(key)).toBeUndefined();
    }
    expect(logger.entries.filter((entry) => entry.level === 'warn')).toHaveLength(1);
  });

  it('does not store an answer that did not end with end_turn', async () => {
    const cache = cacheOn(redis);
    const key = testKey('max-tokens');
    await cache.set(key, cachedAnswer({ stopReason: 'max_tokens' }));
    expect(await redis.exists(key)).toBe(0);
  });

  it('does not store an answer already too old to serve', async () => {
    const cache = cacheOn(redis, { ttlSeconds: 60, staleTtlSeconds: 600 });
    const key = testKey('too-old');
    await cache.set(key, cachedAnswer({ storedAt: start - 660_000 }));
    expect(await redis.exists(key)).toBe(0);
  });

  it('stores only the fields of a cached answer', async () => {
    const cache = cacheOn(redis);
    const key = testKey('known-fields');
    await cache.set(key, { ...cachedAnswer(), prompt: '個人情報' } as CachedAnswer);
    expect(await redis.get(key)).not.toContain('個人情報');
  });
});

describe('RedisResponseCache during a Redis outage', () => {
  it('misses and drops writes promptly when nothing listens on the port', async () => {
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    const cache = new RedisResponseCache(client);
    expect(await within(cache.get(testKey('outage')), promptBoundMs)).toBeUndefined();
    expect(await within(cache.set(testKey('outage'), cachedAnswer()), promptBoundMs)).toBeUndefined();
  });

  it('misses and drops writes promptly once its connection is closed', async () => {
    const client = track(createRedisClient(redisUrl));
    await untilReady(client);
    const cache = cacheOn(client);
    const key = testKey('disconnected');
    await cache.set(key, cachedAnswer());
    client.disconnect();
    expect(await within(cache.get(key), promptBoundMs)).toBeUndefined();
    expect(await within(cache.set(key, cachedAnswer()), promptBoundMs)).toBeUndefined();
  });

  it('gives up on a Redis that accepted the connection but does not answer', async () => {
    const logger = recordingLogger();
    const client = track(
      createRedisClient(`redis://127.0.0.1:${await silentServer()}`, {
        // Skip the handshake so the client reports ready and sends commands into the void.
        redisOptions: { enableReadyCheck: false, protocol: 2, disableClientInfo: true },
      }),
    );
    await untilReady(client);
    const cache = new RedisResponseCache(client, { commandTimeoutMs: 50, logger });
    expect(await within(cache.get(testKey('hung')), promptBoundMs)).toBeUndefined();
    expect(await within(cache.set(testKey('hung'), cachedAnswer()), promptBoundMs)).toBeUndefined();
    expect(logger.entries[0]).toMatchObject({
      level: 'warn',
      fields: { operation: 'get', error: 'No reply within 50 ms' },
    });
  });

  it('warns once per interval during an outage, not once per request', async () => {
    const logger = recordingLogger();
    const clock = manualClock();
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    const cache = new RedisResponseCache(client, { logger, now: clock.now, warnIntervalMs: 60_000 });
    for (let request = 0; request < 10; request++) await cache.get(testKey('outage-log'));
    expect(logger.entries.filter((entry) => entry.level === 'warn')).toHaveLength(1);
    clock.advanceSeconds(60);
    await cache.get(testKey('outage-log'));
    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]?.fields).toMatchObject({ operation: 'get', occurrences: 10 });
  });

  it('says so once when Redis is reachable again', async () => {
    const logger = recordingLogger();
    const client = track(createRedisClient(redisUrl));
    await untilReady(client);
    const cache = cacheOn(client, { logger });
    const closed = once(client, 'end');
    client.disconnect();
    await closed;
    await cache.get(testKey('recovery'));
    await client.connect();
    await cache.get(testKey('recovery'));
    await cache.get(testKey('recovery'));
    expect(logger.entries.map((entry) => entry.level)).toEqual(['warn', 'info']);
    expect(logger.entries[1]?.fields).toEqual({ failures: 1 });
  });
});

describe('createRedisClient', () => {
  it('keeps reconnecting to an unreachable Redis and logs the failure once', async () => {
    const logger = recordingLogger();
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`, { logger }));
    await new Promise<void>((resolve) => {
      let errors = 0;
      client.on('error', () => {
        errors++;
        if (errors === 3) resolve();
      });
    });
    expect(client.status).not.toBe('end');
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('retrying') });
  });

  it('fails a command at once instead of queueing it while disconnected', async () => {
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    await expect(within(client.get('anything'), promptBoundMs)).rejects.toThrow(/enableOfflineQueue/);
  });
});
