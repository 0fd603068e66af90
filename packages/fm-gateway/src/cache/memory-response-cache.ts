import type { CachedAnswer, CacheLookup, ResponseCache } from './response-cache.js';

export interface MemoryResponseCacheOptions {
  /**
   * How long an answer is served as fresh, counted from its `storedAt`.
   * @default 300
   */
  readonly ttlSeconds?: number;
  /**
   * How long after going stale an answer is kept to serve as a last resort (`fresh: false`),
   * for example while every model is failing. It is gone after `ttlSeconds + staleTtlSeconds`.
   * @default 86_400
   */
  readonly staleTtlSeconds?: number;
  /**
   * Maximum number of entries; the least recently used one is evicted beyond it.
   * @default 10_000
   */
  readonly maxEntries?: number;
  /**
   * The current time in epoch milliseconds (it is compared with `storedAt`).
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * A `ResponseCache` in the process's memory, with least-recently-used eviction: for local
 * development, tests, and as a small first tier in front of Redis. Freshness is the age of the
 * answer's `storedAt`. Answers that did not end with `end_turn` are not stored (the gateway
 * checks too). Never throws.
 */
export class MemoryResponseCache implements ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private readonly freshMs: number;
  private readonly keepMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryResponseCacheOptions = {}) {
    const ttlSeconds = options.ttlSeconds ?? 300;
    const staleTtlSeconds = options.staleTtlSeconds ?? 86_400;
    const maxEntries = options.maxEntries ?? 10_000;
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
    if (!(staleTtlSeconds >= 0)) throw new RangeError(`staleTtlSeconds must be >= 0, got ${staleTtlSeconds}`);
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.freshMs = ttlSeconds * 1_000;
    this.keepMs = (ttlSeconds + staleTtlSeconds) * 1_000;
    this.maxEntries = maxEntries;
    this.now = options.now ?? Date.now;
  }

  /** Number of entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<CacheLookup | undefined> {
    const answer = this.entries.get(key);
    if (answer === undefined) return undefined;
    const age = this.now() - answer.storedAt;
    if (age >= this.keepMs) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-inserting moves the key to the end of the Map's insertion order: most recently used.
    this.entries.delete(key);
    this.entries.set(key, answer);
    return { answer, fresh: age < this.freshMs };
  }

  async set(key: string, answer: CachedAnswer): Promise<void> {
    if (answer.stopReason !== 'end_turn') return;
    if (this.now() - answer.storedAt >= this.keepMs) return;
    this.entries.delete(key);
    this.entries.set(key, answer);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}
