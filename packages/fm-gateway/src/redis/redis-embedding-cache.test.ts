/**
 * Against a real Redis (REDIS_URL, default redis://127.0.0.1:6379); a missing Redis fails them.
 */
import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import { closedPort } from '@mangaassist/commons/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeVector, encodeVector, RedisEmbeddingCache } from './redis-embedding-cache.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const run = randomUUID();
let redis: RedisConnection;

beforeAll(async () => {
  redis = createRedisClient(redisUrl);
  await redis.connect().catch(() => undefined);
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis is not reachable at ${redisUrl}; start one or set REDIS_URL`)),
        5_000,
      );
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
});
afterAll(async () => {
  const keys = await redis.keys(`embedding:${run}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const vector = (...values: number[]) => Float32Array.from(values);

describe('the vector encoding', () => {
  it('round-trips float32 vectors and refuses what is not one', () => {
    const original = vector(0.25, -1.5, 3.125e-5, 0);
    expect(decodeVector(encodeVector(original))).toEqual(original);
    expect(decodeVector('')).toBeUndefined();
    expect(decodeVector('not base64!')).toBeUndefined();
    // Node's base64 decoder skips what is not base64: four zero bytes would pass for a vector.
    expect(decodeVector('AAAAAA==!!')).toBeUndefined();
    expect(decodeVector(Buffer.from([1, 2, 3]).toString('base64'))).toBeUndefined();
    expect(decodeVector(encodeVector(vector(Number.NaN)))).toBeUndefined();
  });
});

describe('RedisEmbeddingCache', () => {
  it('gives back the vectors it stored, in the order asked, and misses the rest', async () => {
    const cache = new RedisEmbeddingCache(redis, { commandTimeoutMs: 2_000 });
    const [a, b] = [`${run}:a`, `${run}:b`];
    await cache.set([
      [a, vector(1, 2)],
      [b, vector(3, 4)],
    ]);
    expect(await cache.get([b, `${run}:missing`, a])).toEqual([vector(3, 4), undefined, vector(1, 2)]);
    expect(await redis.pttl(`embedding:${a}`)).toBeGreaterThan(29 * 86_400_000);
  });

  it('reads a value that is not a vector as a miss', async () => {
    const cache = new RedisEmbeddingCache(redis, { commandTimeoutMs: 2_000 });
    await redis.set(`embedding:${run}:corrupt`, 'hello');
    expect(await cache.get([`${run}:corrupt`])).toEqual([undefined]);
  });

  it('misses and drops writes without throwing when Redis is down', async () => {
    const down = createRedisClient(`redis://127.0.0.1:${await closedPort()}`);
    const cache = new RedisEmbeddingCache(down, { commandTimeoutMs: 200 });
    await expect(cache.set([[`${run}:x`, vector(1)]])).resolves.toBeUndefined();
    await expect(cache.get([`${run}:x`, `${run}:y`])).resolves.toEqual([undefined, undefined]);
    down.disconnect();
  });
});
