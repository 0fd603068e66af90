import { randomUUID } from 'node:crypto';
import { assertTtlSeconds, expiresAtSeconds } from '@mangaassist/commons';
import { webhookLimits } from '@mangaassist/contracts';
import {
  assertClaimToken,
  assertIdempotencyKey,
  assertInProgressSeconds,
  type IdempotencyRecord,
  inProgressUntil,
  isClaimable,
  isExpired,
  storableSummary,
} from './idempotency-rules.js';
import type { ClaimResult, CompletionResult, IdempotencyStore } from './idempotency-store.js';

export interface MemoryIdempotencyStoreOptions {
  /**
   * How long a completed delivery is remembered after its completion, seconds.
   * @default webhookLimits.idempotencyTtlSeconds (7 days, past Stripe's 3-day retry window)
   */
  readonly ttlSeconds?: number;
  /** The current time in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * The idempotency-store port in one process's memory, with the same semantics as the DynamoDB
 * store (the shared behaviour suite holds both to it): for unit tests and `pnpm dev` without a
 * DynamoDB endpoint. Not shared between processes, lost on restart; expired records are dropped
 * when their key is next touched.
 *
 * Errors: `RangeError` for an empty or over-long key, a non-positive `inProgressSeconds`, an empty
 * token, or a summary over `idempotencyLimits.maxSummaryBytes`; `TypeError` for a summary that is
 * not JSON.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.ttlSeconds = options.ttlSeconds ?? webhookLimits.idempotencyTtlSeconds;
    assertTtlSeconds(this.ttlSeconds);
    this.now = options.now ?? Date.now;
  }

  async claim(key: string, options: { readonly inProgressSeconds: number }): Promise<ClaimResult> {
    assertIdempotencyKey(key);
    assertInProgressSeconds(options.inProgressSeconds);
    const now = this.now();
    const record = this.live(key, now);
    if (isClaimable(record, now)) {
      const token = randomUUID();
      this.records.set(key, {
        status: 'IN_PROGRESS',
        token,
        inProgressUntil: inProgressUntil(now, options.inProgressSeconds),
        expiresAt: expiresAtSeconds(now, this.ttlSeconds),
      });
      return { status: 'claimed', token };
    }
    return record?.status === 'COMPLETED'
      ? { status: 'completed', summary: structuredClone(record.summary) }
      : { status: 'in_progress' };
  }

  async complete(
    key: string,
    token: string,
    summary: Readonly<Record<string, unknown>>,
  ): Promise<CompletionResult> {
    assertIdempotencyKey(key);
    assertClaimToken(token);
    const stored = storableSummary(summary);
    const now = this.now();
    const record = this.live(key, now);
    if (record?.token !== token) return 'claim_lost';
    this.records.set(key, {
      status: 'COMPLETED',
      token,
      expiresAt: expiresAtSeconds(now, this.ttlSeconds),
      summary: stored,
    });
    return 'completed';
  }

  async release(key: string, token: string): Promise<void> {
    assertIdempotencyKey(key);
    assertClaimToken(token);
    const record = this.records.get(key);
    if (record?.status === 'IN_PROGRESS' && record.token === token) this.records.delete(key);
  }

  /** The record of `key` unless it has expired (then it is dropped). */
  private live(key: string, now: number): IdempotencyRecord | undefined {
    const record = this.records.get(key);
    if (record === undefined || !isExpired(record, now)) return record;
    this.records.delete(key);
    return undefined;
  }
}
