import { createHash } from 'node:crypto';
import {
  Deadline,
  DeadlineExceededError,
  type Logger,
  type RetryPolicy,
  silentLogger,
} from '@mangaassist/commons';
import { CircuitBreakerRegistry, CircuitOpenError, circuitKey } from '../resilience/circuit-breaker.js';
import { classifyRetryError, retry } from '../resilience/retry.js';
import { estimateTokens } from '../text/estimate-tokens.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { cohereEmbedMultilingualV3, type EmbeddingModelSpec } from './embedding-model.js';
import type { EmbeddingPurpose, EmbeddingRuntimeProvider } from './embedding-runtime.js';

export interface EmbeddingGatewayOptions {
  /** @default cohereEmbedMultilingualV3 */
  readonly model?: EmbeddingModelSpec;
  readonly runtimes: EmbeddingRuntimeProvider;
  /** Regions to try, in order (the gateway's region targets): a failing region hands over to the next. */
  readonly regions: readonly string[];
  /** @default - none: every text is embedded */
  readonly cache?: EmbeddingCache;
  /** Shared with the chat gateway's, so one report shows every route. @default a registry of its own */
  readonly breakers?: CircuitBreakerRegistry;
  /** Retries in place, per region. @default 3 attempts, 100 ms base, 2 s cap */
  readonly retry?: Partial<RetryPolicy>;
  /** The time one call may take when the caller gives no deadline. @default 30_000 */
  readonly defaultBudgetMs?: number;
  /** No retry or region starts unless this much time is left. @default 200 */
  readonly minAttemptMs?: number;
  /** Most of the time left one attempt may use while other regions remain. @default 0.5 */
  readonly attemptShare?: number;
  readonly logger?: Logger;
}

export interface EmbeddingResult {
  /** One unit vector per text, in order. */
  readonly vectors: Float32Array[];
  /** Texts answered from the cache. */
  readonly cached: number;
  /** Distinct texts the model embedded. */
  readonly embedded: number;
  /** Estimated input tokens of the texts embedded (the SDK does not surface Bedrock's count for InvokeModel). */
  readonly inputTokens: number;
  readonly costUsd: number;
}

/** Every region failed, or refused, to embed a batch; `cause` is the last region's error. */
export class EmbeddingUnavailableError extends Error {
  override readonly name = 'EmbeddingUnavailableError';
}

/**
 * Embeddings through the gateway: one model (vectors of two models cannot share an index), so no
 * fallback to another model; each batch of at most `maxTextsPerRequest` distinct texts is tried
 * region by region, with retries in place under the same circuit breakers as chat. Vectors are
 * cached by model, purpose and the text's SHA-256, and each call reports its estimated cost.
 */
export class EmbeddingGateway {
  readonly model: EmbeddingModelSpec;
  readonly #breakers: CircuitBreakerRegistry;
  readonly #logger: Logger;

  constructor(private readonly options: EmbeddingGatewayOptions) {
    this.model = options.model ?? cohereEmbedMultilingualV3;
    this.#breakers = options.breakers ?? new CircuitBreakerRegistry();
    this.#logger = options.logger ?? silentLogger;
    if (options.regions.length === 0) throw new RangeError('EmbeddingGateway: no region to call');
  }

  get dimensions(): number {
    return this.model.dimensions;
  }

  /**
   * The vectors of `texts`, in order. Throws `RangeError` for a text longer than the model takes
   * (shorten it first) and `EmbeddingUnavailableError` when a batch fails in every region.
   */
  async embed(
    texts: readonly string[],
    purpose: EmbeddingPurpose,
    options: { readonly deadline?: Deadline } = {},
  ): Promise<EmbeddingResult> {
    for (const [index, text] of texts.entries()) {
      if (text.trim() === '') throw new RangeError(`text ${index}: empty, which would embed as noise`);
      if ([...text].length > this.model.maxCharacters) {
        throw new RangeError(
          `text ${index}: longer than the ${this.model.maxCharacters} characters ${this.model.displayName} takes`,
        );
      }
    }
    const keys = texts.map((text) => this.#key(text, purpose));
    const found = await this.#cached(keys);
    const vectors = new Map<string, Float32Array>();
    const missing = new Map<string, string>();
    keys.forEach((key, index) => {
      const vector = found[index];
      if (vector !== undefined) vectors.set(key, vector);
      else missing.set(key, texts[index] as string);
    });
    const pending = [...missing];
    let inputTokens = 0;
    const deadline = options.deadline ?? new Deadline(this.options.defaultBudgetMs ?? 30_000);
    try {
      for (let start = 0; start < pending.length; start += this.model.maxTextsPerRequest) {
        const batch = pending.slice(start, start + this.model.maxTextsPerRequest);
        const embedded = await this.#embedBatch(
          batch.map(([, text]) => text),
          purpose,
          deadline,
        );
        const entries = batch.map(([key], index) => [key, embedded[index] as Float32Array] as const);
        for (const [key, vector] of entries) vectors.set(key, vector);
        inputTokens += batch.reduce((sum, [, text]) => sum + estimateTokens(text), 0);
        await this.#store(entries);
      }
    } finally {
      if (options.deadline === undefined) deadline.dispose();
    }
    return {
      // A copy per position: a caller changing its vector changes no other, nor the cache.
      vectors: keys.map((key) => new Float32Array(vectors.get(key) as Float32Array)),
      cached: found.filter((vector) => vector !== undefined).length,
      embedded: pending.length,
      inputTokens,
      costUsd: (inputTokens * this.model.inputPer1M) / 1_000_000,
    };
  }

  #key(text: string, purpose: EmbeddingPurpose): string {
    return `${this.model.modelId}:${purpose}:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
  }

  /** The cache's vectors of `keys`; a cache that fails reads as all misses. */
  async #cached(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    if (this.options.cache === undefined) return keys.map(() => undefined);
    try {
      return await this.options.cache.get(keys);
    } catch (error) {
      this.#logger.warn('embedding cache read failed', { error: String(error) });
      return keys.map(() => undefined);
    }
  }

  /** Stores vectors already paid for; a cache that fails loses them, never the call. */
  async #store(entries: readonly (readonly [string, Float32Array])[]): Promise<void> {
    try {
      await this.options.cache?.set(entries);
    } catch (error) {
      this.#logger.warn('embedding cache write failed', { error: String(error) });
    }
  }

  /** Out of time, or too little left to start another try: the deadline's own error. */
  #throwIfOutOfTime(deadline: Deadline): void {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    if (deadline.remainingMs() < (this.options.minAttemptMs ?? 200)) {
      throw new DeadlineExceededError(deadline.budgetMs, deadline.elapsedMs());
    }
  }

  /**
   * One batch, region by region, as the chat ladder tries its targets: retries in place under the
   * region's breaker, each attempt bounded by the model's timeout and, while other regions remain,
   * by `attemptShare` of the time left; an attempt that runs out of its time fails as a timeout,
   * which hands the batch to the next region and counts against the breaker.
   */
  async #embedBatch(
    texts: readonly string[],
    purpose: EmbeddingPurpose,
    deadline: Deadline,
  ): Promise<Float32Array[]> {
    const regions = [...new Set(this.options.regions)];
    const minAttemptMs = this.options.minAttemptMs ?? 200;
    const attemptShare = this.options.attemptShare ?? 0.5;
    let lastError: unknown;
    for (const [index, region] of regions.entries()) {
      this.#throwIfOutOfTime(deadline);
      const moreToTry = index < regions.length - 1;
      const key = circuitKey(this.model.modelId, region);
      const breaker = this.#breakers.get(key);
      try {
        return await retry(
          async () => {
            const permit = breaker.tryAcquire();
            if (!permit) throw new CircuitOpenError(key, breaker.retryAfterMs());
            const remaining = deadline.remainingMs();
            const attempt = deadline.child(
              Math.min(
                this.model.timeoutMs,
                moreToTry ? Math.max(remaining * attemptShare, minAttemptMs) : remaining,
              ),
            );
            try {
              const vectors = await this.options
                .runtimes(region)
                .embed(this.model.modelId, texts, purpose, attempt.signal);
              if (
                vectors.length !== texts.length ||
                vectors.some((vector) => vector.length !== this.model.dimensions)
              ) {
                throw new EmbeddingUnavailableError(
                  `${region} answered ${vectors.length} vectors for ${texts.length} texts, or of the wrong size`,
                );
              }
              permit.succeed();
              return vectors;
            } catch (error) {
              // A budget that ran out surfaces from the SDK as an abort: report the timeout it is.
              const failure =
                attempt.signal.reason instanceof DeadlineExceededError ? attempt.signal.reason : error;
              if (classifyRetryError(failure).countsAsFailure) permit.fail();
              else permit.release();
              throw failure;
            } finally {
              attempt.dispose();
            }
          },
          { deadline, minAttemptMs, ...(this.options.retry ? { policy: this.options.retry } : {}) },
        );
      } catch (error) {
        if (deadline.signal.aborted) throw deadline.signal.reason;
        lastError = error;
        const failure = classifyRetryError(error);
        this.#logger.warn('embedding region failed', {
          region,
          model: this.model.modelId,
          code: failure.code,
        });
        if (!failure.failover) throw error;
      }
    }
    // The last region's attempt may end a moment before the caller's deadline does: out of time is what it was.
    this.#throwIfOutOfTime(deadline);
    throw new EmbeddingUnavailableError(`${this.model.displayName} could not embed in any region`, {
      cause: lastError,
    });
  }
}
