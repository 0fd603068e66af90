import { createHash } from 'node:crypto';
import type { Deadline, Logger, RetryPolicy } from '@mangaassist/commons';
import { silentLogger } from '@mangaassist/commons';
import { CircuitBreakerRegistry, CircuitOpenError, circuitKey } from '../resilience/circuit-breaker.js';
import { classifyRetryError, retry } from '../resilience/retry.js';
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
  readonly logger?: Logger;
}

export interface EmbeddingResult {
  /** One unit vector per text, in order. */
  readonly vectors: Float32Array[];
  /** Texts answered from the cache. */
  readonly cached: number;
  /** Distinct texts the model embedded. */
  readonly embedded: number;
  /** Estimated input tokens of the texts embedded (Bedrock reports none for embeddings). */
  readonly inputTokens: number;
  readonly costUsd: number;
}

/** Every region failed, or refused, to embed a batch; `cause` is the last region's error. */
export class EmbeddingUnavailableError extends Error {
  override readonly name = 'EmbeddingUnavailableError';
}

/** Tokens as the gateway estimates them for cost: one per CJK character, one per four others. */
export function estimateEmbeddingTokens(text: string): number {
  let cjk = 0;
  let other = 0;
  for (const character of text) {
    if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(character)) cjk++;
    else other++;
  }
  return cjk + Math.ceil(other / 4);
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
      if ([...text].length > this.model.maxCharacters) {
        throw new RangeError(
          `text ${index}: longer than the ${this.model.maxCharacters} characters ${this.model.displayName} takes`,
        );
      }
    }
    const keys = texts.map((text) => this.#key(text, purpose));
    const found = this.options.cache ? await this.options.cache.get(keys) : keys.map(() => undefined);
    const vectors = new Map<string, Float32Array>();
    const missing = new Map<string, string>();
    keys.forEach((key, index) => {
      const vector = found[index];
      if (vector !== undefined) vectors.set(key, vector);
      else missing.set(key, texts[index] as string);
    });
    const pending = [...missing];
    let inputTokens = 0;
    for (let start = 0; start < pending.length; start += this.model.maxTextsPerRequest) {
      const batch = pending.slice(start, start + this.model.maxTextsPerRequest);
      const embedded = await this.#embedBatch(
        batch.map(([, text]) => text),
        purpose,
        options.deadline,
      );
      const entries = batch.map(([key], index) => [key, embedded[index] as Float32Array] as const);
      for (const [key, vector] of entries) vectors.set(key, vector);
      inputTokens += batch.reduce((sum, [, text]) => sum + estimateEmbeddingTokens(text), 0);
      await this.options.cache?.set(entries);
    }
    return {
      vectors: keys.map((key) => vectors.get(key) as Float32Array),
      cached: found.filter((vector) => vector !== undefined).length,
      embedded: pending.length,
      inputTokens,
      costUsd: (inputTokens * this.model.inputPer1M) / 1_000_000,
    };
  }

  #key(text: string, purpose: EmbeddingPurpose): string {
    return `${this.model.modelId}:${purpose}:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
  }

  /** One batch, region by region: a region that cannot answer hands the batch to the next. */
  async #embedBatch(
    texts: readonly string[],
    purpose: EmbeddingPurpose,
    deadline: Deadline | undefined,
  ): Promise<Float32Array[]> {
    let lastError: unknown;
    for (const region of new Set(this.options.regions)) {
      const key = circuitKey(this.model.modelId, region);
      const breaker = this.#breakers.get(key);
      try {
        return await retry(
          async (_attempt, signal) => {
            const permit = breaker.tryAcquire();
            if (!permit) throw new CircuitOpenError(key, breaker.retryAfterMs());
            try {
              const timeout = AbortSignal.timeout(this.model.timeoutMs);
              const vectors = await this.options
                .runtimes(region)
                .embed(this.model.modelId, texts, purpose, AbortSignal.any([signal, timeout]));
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
              if (classifyRetryError(error).countsAsFailure) permit.fail();
              else permit.release();
              throw error;
            }
          },
          {
            ...(deadline ? { deadline } : {}),
            ...(this.options.retry ? { policy: this.options.retry } : {}),
          },
        );
      } catch (error) {
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
    throw new EmbeddingUnavailableError(`${this.model.displayName} could not embed in any region`, {
      cause: lastError,
    });
  }
}
