/**
 * Integration tests against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). A missing
 * Redis fails them: start one with `docker run -p 6379:6379 redis:7` or `redis-server`.
 */
import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import { recordingLogger, scriptedRedisServer } from '@mangaassist/commons/testing';
import { closedPort, untilReady } from '@mangaassist/tenants/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisFrameLog, type RedisFrameLogOptions } from './redis-frame-log.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `test:redis-frame-log:${randomUUID()}:`;
/** Far above any healthy reply and any fail-fast path, far below a hung request. */
const promptBoundMs = 1_000;
const clients: RedisConnection[] = [];
let redis: RedisConnection;

function track(client: RedisConnection): RedisConnection {
  clients.push(client);
  return client;
}

function logOn(client: RedisConnection, options: RedisFrameLogOptions = {}): RedisFrameLog {
  // A generous timeout against the real server keeps a loaded CI machine from flaking.
  return new RedisFrameLog(client, { keyPrefix, commandTimeoutMs: 2_000, ...options });
}

function newStream(): string {
  return `manga-store/${randomUUID()}`;
}

/** A frame holding a raw newline, the adapter's own separator: stored and read back unchanged. */
const frame = (seq: number) => `frame ${seq}\nsecond line`;

async function logged(log: RedisFrameLog, streamId: string, seqs: readonly number[]): Promise<void> {
  for (const seq of seqs) await log.append(streamId, seq, frame(seq));
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

beforeAll(async () => {
  redis = track(createRedisClient(redisUrl));
  await untilReady(redis, redisUrl);
});

afterAll(async () => {
  if (redis.status === 'ready') {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  for (const client of clients) {
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }
});

describe('RedisFrameLog with Redis up', () => {
  it('answers the frames after the given seq, in order and unchanged', async () => {
    const log = logOn(redis);
    const stream = newStream();
    await logged(log, stream, [0, 1, 2, 3, 4]);
    expect(await log.since(stream, 2)).toEqual([frame(3), frame(4)]);
    expect(await log.since(stream, -1)).toEqual([0, 1, 2, 3, 4].map(frame));
  });

  it('answers an empty list to a client that has seen every frame', async () => {
    const log = logOn(redis);
    const stream = newStream();
    await logged(log, stream, [0, 1]);
    expect(await log.since(stream, 1)).toEqual([]);
    expect(await log.since(stream, 9)).toEqual([]);
  });

  it('answers undefined for a stream it never logged', async () => {
    expect(await logOn(redis).since(newStream(), -1)).toBeUndefined();
  });

  it('keeps a stream for the resume window after its last frame', async () => {
    const log = logOn(redis, { ttlSeconds: 120 });
    const stream = newStream();
    await logged(log, stream, [0]);
    const ttl = await redis.ttl(`${keyPrefix}${stream}`);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('finds the frames after a lost append shifted the list', async () => {
    const log = logOn(redis);
    const stream = newStream();
    await logged(log, stream, [0, 1, 3, 4, 5]);
    expect(await log.since(stream, 3)).toEqual([frame(4), frame(5)]);
    expect(await log.since(stream, 0)).toBeUndefined();
  });

  it('answers undefined, with a warning, for an entry it did not write', async () => {
    const logger = recordingLogger();
    const log = logOn(redis, { logger });
    const stream = newStream();
    await logged(log, stream, [0]);
    await redis.rpush(`${keyPrefix}${stream}`, 'garbage');
    expect(await log.since(stream, -1)).toBeUndefined();
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn' }));
  });
});

describe('RedisFrameLog during a Redis outage', () => {
  it('drops frames and answers undefined promptly when nothing listens on the port', async () => {
    const log = new RedisFrameLog(track(createRedisClient(`redis://127.0.0.1:${await closedPort()}`)));
    expect(await within(log.append(newStream(), 0, frame(0)), promptBoundMs)).toBeUndefined();
    expect(await within(log.since(newStream(), -1), promptBoundMs)).toBeUndefined();
  });

  it('gives up on a Redis that accepted the connection but does not answer, and warns', async () => {
    // Answers the handshake, then nothing.
    const server = await scriptedRedisServer(() => {});
    try {
      const logger = recordingLogger();
      const client = track(createRedisClient(`redis://127.0.0.1:${server.port}`));
      await untilReady(client, 'the silent server');
      const log = new RedisFrameLog(client, { commandTimeoutMs: 50, logger });
      expect(await within(log.append(newStream(), 0, frame(0)), promptBoundMs)).toBeUndefined();
      expect(await within(log.since(newStream(), -1), promptBoundMs)).toBeUndefined();
      expect(logger.entries[0]).toMatchObject({
        level: 'warn',
        fields: { operation: 'append', error: 'No reply within 50 ms' },
      });
    } finally {
      server.close();
    }
  });
});
