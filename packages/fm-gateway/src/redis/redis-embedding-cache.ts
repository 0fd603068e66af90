/**
 * The embedding cache on Redis: vectors shared by every instance, so a catalog embedded once is
 * not embedded again by the next Lambda. Like the response cache, Redis can only make embedding
 * faster: each command is bounded, and a failure reads as misses or a dropped write.
 */

import { type Logger, silentLogger } from '@mangaassist/commons';
import { RedisCommandRunner, type RedisConnection } from '@mangaassist/commons/redis';
import type { EmbeddingCache } from '../embeddings/embedding-cache.js';

export interface RedisEmbeddingCacheOptions {
  /** How long a vector is kept: a model's vector of a text never changes, so only memory bounds it. @default 30 days */
  readonly ttlSeconds?: number;
  /** Longest wait for one Redis command. @default 100 */
  readonly commandTimeoutMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** Redis keys of vectors: one namespace, so a flush of the embeddings touches nothing else. */
const prefix = 'embedding:';

/** A vector as Redis keeps it: its float32 bytes (little-endian), base64. */
export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

/** The vector of `encodeVector`'s text, or undefined for anything that is not one. */
export function decodeVector(text: string): Float32Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0 || bytes.length % 4 !== 0 || bytes.toString('base64') !== text) return undefined;
  const vector = new Float32Array(bytes.length / 4);
  for (let index = 0; index < vector.length; index++) vector[index] = bytes.readFloatLE(index * 4);
  return vector.every(Number.isFinite) ? vector : undefined;
}

/**
 * An `EmbeddingCache` on an injected Redis client (`createRedisClient`): `MGET` for a batch of
 * keys, one `MULTI` of `SET … PX` for a batch of vectors. A value that is not a vector reads as a
 * miss. Never throws.
 */
export class RedisEmbeddingCache implements EmbeddingCache {
  readonly #ttlMs: number;
  readonly #commands: RedisCommandRunner;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisEmbeddingCacheOptions = {},
  ) {
    const ttlSeconds = options.ttlSeconds ?? 30 * 86_400;
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
    this.#ttlMs = ttlSeconds * 1_000;
    this.#commands = new RedisCommandRunner({
      redis,
      commandTimeoutMs: options.commandTimeoutMs ?? 100,
      logger: options.logger ?? silentLogger,
      now: Date.now,
      warnIntervalMs: 60_000,
      outageMessage: 'Embedding cache unavailable; embedding without it',
      recoveredMessage: 'Embedding cache is reachable again',
    });
  }

  async get(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    if (keys.length === 0) return [];
    const replies = await this.#commands
      .run('mget', () => this.redis.call('MGET', ...keys.map((key) => prefix + key)))
      .catch(() => undefined);
    if (!Array.isArray(replies) || replies.length !== keys.length) return keys.map(() => undefined);
    return replies.map((reply) => (typeof reply === 'string' ? decodeVector(reply) : undefined));
  }

  async set(entries: readonly (readonly [string, Float32Array])[]): Promise<void> {
    if (entries.length === 0) return;
    const transaction = this.redis.multi();
    for (const [key, vector] of entries)
      transaction.call('SET', prefix + key, encodeVector(vector), 'PX', this.#ttlMs);
    await this.#commands.run('set', () => transaction.exec()).catch(() => undefined);
  }
}
