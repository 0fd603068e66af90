/**
 * Integration tests against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). A missing
 * Redis fails them: start one with `docker run -p 6379:6379 redis:7` or `redis-server`.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createRedisClient, type RedisConnection, whenRedisReady } from '@mangaassist/commons/redis';
import {
  closedPort,
  manualClock,
  recordingLogger,
  type ScriptedRedisServer,
  scriptedRedisServer,
} from '@mangaassist/commons/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedAnswer } from '../cache/response-cache.js';
import { cachedAnswer, cacheEpoch } from '../testing/cache-fixtures.js';
import { RedisResponseCache, type RedisResponseCacheOptions } from './redis-response-cache.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `test:redis-response-cache:${randomUUID()}:`;
const start = cacheEpoch;
/** Far above any healthy reply and any fail-fast path, far below a hung request. */
const promptBoundMs = 1_000;

const usedKeys = new Set<string>();
const clients: RedisConnection[] = [];
const servers: ScriptedRedisServer[] = [];
let redis: RedisConnection;

function testKey(name: string): string {
  const key = `${keyPrefix}${name}`;
  usedKeys.add(key);
  return key;
}

function track(client: RedisConnection): RedisConnection {
  clients.push(client);
  return client;
}

function cacheOn(client: RedisConnection, options: RedisResponseCacheOptions = {}): RedisResponseCache {
  // A generous command timeout against the real server keeps a loaded CI machine from flaking.
  return new RedisResponseCache(client, { commandTimeoutMs: 2_000, now: manualClock().now, ...options });
}

async function untilReady(client: RedisConnection): Promise<void> {
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

/** A Redis that answers the handshake, then nothing: a hung Redis. `received` counts what it was sent. */
async function silentServer(received: { commands: number } = { commands: 0 }): Promise<number> {
  const server = await scriptedRedisServer(() => received.commands++);
  servers.push(server);
  return server.port;
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
  for (const server of servers) server.close();
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

  it('serves a hit from the very first command of a client that is still connecting (a cold start)', async () => {
    const key = testKey('cold-start');
    await cacheOn(redis).set(key, cachedAnswer());
    const coldClient = track(createRedisClient(redisUrl));
    expect(coldClient.status).not.toBe('ready');
    expect(await cacheOn(coldClient).get(key)).toEqual({ answer: cachedAnswer(), fresh: true });
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
    const client = track(createRedisClient(`redis://127.0.0.1:${await silentServer()}`));
    await untilReady(client);
    const cache = new RedisResponseCache(client, { commandTimeoutMs: 50, logger });
    expect(await within(cache.get(testKey('hung')), promptBoundMs)).toBeUndefined();
    expect(await within(cache.set(testKey('hung'), cachedAnswer()), promptBoundMs)).toBeUndefined();
    expect(logger.entries[0]).toMatchObject({
      level: 'warn',
      fields: { operation: 'get', error: 'No reply within 50 ms' },
    });
  });

  it('sends nothing more to a hung Redis once one command found it, from any cache on the client, until the back-off ends', async () => {
    const received = { commands: 0 };
    const client = track(createRedisClient(`redis://127.0.0.1:${await silentServer(received)}`));
    await untilReady(client);
    const clock = manualClock();
    const [first, second] = [1, 2].map(
      () => new RedisResponseCache(client, { commandTimeoutMs: 50, now: clock.now }),
    );
    expect(await first?.get(testKey('hung-once'))).toBeUndefined();
    expect(received.commands).toBe(1);

    for (let request = 0; request < 10; request++) {
      expect(await first?.get(testKey('hung-once'))).toBeUndefined();
      expect(await second?.set(testKey('hung-once'), cachedAnswer())).toBeUndefined();
    }
    expect(received.commands).toBe(1);

    clock.advanceSeconds(1);
    expect(await second?.get(testKey('hung-once'))).toBeUndefined();
    expect(received.commands).toBe(2);
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

/** A stand-in for a Redis client's connection state: a status and its events, nothing else. */
class FakeConnection extends EventEmitter {
  connects = 0;

  constructor(public status: string) {
    super();
  }

  async connect(): Promise<void> {
    this.connects++;
    this.status = 'connecting';
  }

  becomes(status: 'ready' | 'end'): void {
    this.status = status;
    this.emit(status);
  }
}

/** Whether the promise has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('whenRedisReady', () => {
  it('resolves at once for a ready client', async () => {
    await expect(whenRedisReady(redis)).resolves.toBeUndefined();
  });

  it('resolves when a connecting client becomes ready, and not before', async () => {
    const connection = new FakeConnection('connecting');
    const waiting = whenRedisReady(connection);
    expect(await settled(waiting)).toBe(false);
    connection.becomes('ready');
    await expect(waiting).resolves.toBeUndefined();
  });

  it('resolves for a client that ended, so that its command fails at once instead of waiting', async () => {
    const ended = new FakeConnection('end');
    await expect(whenRedisReady(ended)).resolves.toBeUndefined();
    const ending = new FakeConnection('reconnecting');
    const waiting = whenRedisReady(ending);
    ending.becomes('end');
    await expect(waiting).resolves.toBeUndefined();
  });

  it('never rejects on its own: it waits for as long as the client reconnects', async () => {
    const connection = new FakeConnection('reconnecting');
    connection.on('error', () => {});
    const waiting = whenRedisReady(connection);
    connection.emit('error', new Error('ECONNREFUSED'));
    connection.emit('close');
    expect(await settled(waiting)).toBe(false);
    connection.becomes('ready');
    await expect(waiting).resolves.toBeUndefined();
  });

  it('rejects with the reason of its aborted signal and leaves no listener behind', async () => {
    const connection = new FakeConnection('connecting');
    const signal = new AbortController();
    const waits = Array.from({ length: 20 }, () => whenRedisReady(connection, signal.signal));
    signal.abort(new Error('time is up'));
    for (const wait of waits) await expect(wait).rejects.toThrow('time is up');
    expect(connection.eventNames()).toEqual([]);
  });

  it('shares one pair of listeners among its waiters, so many waits never trip the leak warning', async () => {
    const connection = new FakeConnection('connecting');
    const waits = Array.from({ length: 50 }, () => whenRedisReady(connection));
    expect(connection.listenerCount('ready')).toBe(1);
    connection.becomes('ready');
    await Promise.all(waits);
    expect(connection.eventNames()).toEqual([]);
  });

  it('starts the connection of a lazy client that has not connected yet', async () => {
    const connection = new FakeConnection('wait');
    const waiting = whenRedisReady(connection);
    expect(connection.connects).toBe(1);
    connection.becomes('ready');
    await expect(waiting).resolves.toBeUndefined();
  });

  it('leaves no listener on a real client whose bounded command timed out while it connects', async () => {
    const client = track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`));
    const ownListeners = client.listenerCount('ready');
    const cache = new RedisResponseCache(client, { commandTimeoutMs: 20 });
    for (let request = 0; request < 20; request++) expect(await cache.get(testKey('leak'))).toBeUndefined();
    // One listener of the client's outage memory, which ends the outage on reconnection.
    expect(client.listenerCount('ready')).toBe(ownListeners + 1);
    expect(client.listenerCount('end')).toBe(0);
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
    await expect(within(client.get('anything'), promptBoundMs)).rejects.toThrow(/commands are not queued/);
  });
});
