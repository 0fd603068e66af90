import type { StopReason, TokenUsage } from '../runtime/model-runtime.js';

/** A complete model answer as the response cache keeps it. */
export interface CachedAnswer {
  readonly text: string;
  /** Catalog key of the model that answered (`claude-haiku-4-5`). */
  readonly model: string;
  /** Bedrock id that answered (`jp.anthropic.claude-haiku-4-5-20251001-v1:0`). */
  readonly modelId: string;
  readonly region: string;
  /** Always `end_turn`: truncated or failed answers are never cached. */
  readonly stopReason: StopReason;
  readonly usage: TokenUsage;
  /** Epoch milliseconds when the answer was stored. */
  readonly storedAt: number;
}

export interface CacheLookup {
  readonly answer: CachedAnswer;
  /** False once the entry is older than the fresh TTL; stale entries only serve as a last resort. */
  readonly fresh: boolean;
}

/**
 * The response-cache port. Implementations never throw: an outage reads as a miss and a
 * failed write is dropped, so the cache can only ever make a request faster.
 */
export interface ResponseCache {
  get(key: string): Promise<CacheLookup | undefined>;
  set(key: string, answer: CachedAnswer): Promise<void>;
}
