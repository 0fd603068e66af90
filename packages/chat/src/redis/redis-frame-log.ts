/**
 * The WebSocket frame log on Redis, shared by every instance so that a client that reconnects
 * through another Lambda can still resume. Like the response cache, Redis can only make resume
 * possible, never make a stream slower or fail: every command is bounded by a short timeout,
 * every failure reads as "not logged" or "cannot resume", and an outage is logged once a
 * minute, not once per frame.
 */

import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
import { RedisCommandRunner, type RedisConnection } from '@mangaassist/commons/redis';
import { websocketLimits } from '@mangaassist/contracts';
import type { FrameLog } from '../websocket/frame-log.js';
import { contiguousAfter } from '../websocket/memory-frame-log.js';

export interface RedisFrameLogOptions {
  /** How long a stream's frames are kept after its last append. @default websocketLimits.resumeWindowSeconds (300) */
  readonly ttlSeconds?: number;
  /** Prefix of the list keys. @default 'ws:frames:' */
  readonly keyPrefix?: string;
  /** Longest wait for one Redis round trip; after it the frame is not logged, or resume is unavailable. @default 40 */
  readonly commandTimeoutMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Least time between two warnings of the same kind. @default 60_000 */
  readonly warnIntervalMs?: number;
  /** The current time in epoch milliseconds, for spacing out warnings. @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  readonly seq: number;
  readonly frame: string;
}

const unavailable = Symbol('unavailable');

/**
 * A `FrameLog` on an injected Redis client (build it with `createRedisClient`). A stream is
 * one list: `append` is `RPUSH <seq>\n<frame>` and `EXPIRE ttlSeconds` in one transaction, so
 * the frames live `ttlSeconds` after the last one; `since` reads `LRANGE afterSeq+1 -1` (entry
 * i holds seq i while nothing was lost) plus the last entry, and falls back to the whole list
 * when a lost append broke that correspondence. It answers only a contiguous run after
 * `afterSeq` — undefined for an unknown or expired stream, a hole, or an unreadable Redis.
 * Never throws; never waits longer than `commandTimeoutMs` per round trip.
 *
 * @example const frames = new RedisFrameLog(createRedisClient(url, { logger }), { logger });
 */
export class RedisFrameLog implements FrameLog {
  private readonly ttlSeconds: number;
  private readonly keyPrefix: string;
  private readonly commands: RedisCommandRunner;
  private readonly corruptionWarning: RateLimitedWarning;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisFrameLogOptions = {},
  ) {
    const ttlSeconds = options.ttlSeconds ?? websocketLimits.resumeWindowSeconds;
    if (!(Number.isInteger(ttlSeconds) && ttlSeconds >= 1))
      throw new RangeError(`ttlSeconds must be a whole number >= 1, got ${ttlSeconds}`);
    this.ttlSeconds = ttlSeconds;
    this.keyPrefix = options.keyPrefix ?? 'ws:frames:';
    const logger = options.logger ?? silentLogger;
    const now = options.now ?? Date.now;
    const warnIntervalMs = options.warnIntervalMs ?? 60_000;
    this.commands = new RedisCommandRunner({
      redis,
      commandTimeoutMs: options.commandTimeoutMs ?? 40,
      logger,
      now,
      warnIntervalMs,
      outageMessage: 'Frame log unavailable; WebSocket streams cannot be resumed',
      recoveredMessage: 'Frame log is reachable again',
    });
    this.corruptionWarning = new RateLimitedWarning(logger, now, warnIntervalMs);
  }

  async append(streamId: string, seq: number, frame: string): Promise<void> {
    const key = this.keyOf(streamId);
    await this.run('append', async () => {
      const results = await this.redis
        .multi()
        .rpush(key, `${seq}\n${frame}`)
        .expire(key, this.ttlSeconds)
        .exec();
      throwFirstError(results);
    });
  }

  async since(streamId: string, afterSeq: number): Promise<string[] | undefined> {
    const key = this.keyOf(streamId);
    const read = await this.run('since', async () => {
      const results = await this.redis
        .multi()
        .lindex(key, -1)
        .lrange(key, Math.max(afterSeq + 1, 0), -1)
        .exec();
      throwFirstError(results);
      return { last: results?.[0]?.[1], tail: results?.[1]?.[1] };
    });
    if (read === unavailable || typeof read.last !== 'string') return undefined;
    const last = this.parse(read.last, key);
    const tail = Array.isArray(read.tail) ? this.parseAll(read.tail, key) : undefined;
    if (last === undefined || tail === undefined) return undefined;
    if (last.seq <= afterSeq) return [];
    const fast = contiguousAfter(tail, afterSeq);
    if (fast !== undefined && tail.at(-1)?.seq === last.seq) return fast;

    // A lost append shifted the list: read it whole and look for the run after `afterSeq`.
    const whole = await this.run('since', () => this.redis.lrange(key, 0, -1));
    if (whole === unavailable) return undefined;
    const entries = this.parseAll(whole, key);
    return entries === undefined ? undefined : contiguousAfter(entries, afterSeq);
  }

  private keyOf(streamId: string): string {
    return `${this.keyPrefix}${streamId}`;
  }

  private parseAll(raw: unknown[], key: string): Entry[] | undefined {
    const entries: Entry[] = [];
    for (const item of raw) {
      const entry = typeof item === 'string' ? this.parse(item, key) : undefined;
      if (entry === undefined) return undefined;
      entries.push(entry);
    }
    return entries;
  }

  private parse(raw: string, key: string): Entry | undefined {
    const newline = raw.indexOf('\n');
    const seq = Number(raw.slice(0, newline));
    if (newline < 1 || !Number.isInteger(seq) || seq < 0) {
      this.corruptionWarning.warn('Frame log entry is corrupted; resume unavailable', { key });
      return undefined;
    }
    return { seq, frame: raw.slice(newline + 1) };
  }

  /** Every failure reads as "not logged" or "cannot resume": the log never fails a stream. */
  private run<T>(operation: 'append' | 'since', command: () => Promise<T>): Promise<T | typeof unavailable> {
    return this.commands.run(operation, command).catch(() => unavailable);
  }
}

/** `MULTI … EXEC` reports each command's error in its result; a discarded transaction is null. */
function throwFirstError(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new Error('The transaction was discarded');
  for (const [error] of results) if (error) throw error;
}
