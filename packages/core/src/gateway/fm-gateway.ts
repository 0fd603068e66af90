import { randomUUID } from 'node:crypto';
import { responseCacheKey } from '../cache/cache-key.js';
import type { CacheLookup, ResponseCache } from '../cache/response-cache.js';
import type { Geography } from '../catalog/geography.js';
import {
  type InvocationTarget,
  invocationTargets,
  type RegionTarget,
} from '../catalog/invocation-targets.js';
import { fallbackLadder, type ModelCatalog, type ModelSpec } from '../catalog/model-catalog.js';
import { estimateCostUsd } from '../cost/estimate-cost.js';
import type { EventPublisher } from '../events/event-publisher.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import type { RetryPolicy } from '../resilience/backoff.js';
import { CircuitBreakerRegistry, CircuitOpenError, circuitKey } from '../resilience/circuit-breaker.js';
import { type Clock, type Random, systemClock } from '../resilience/clock.js';
import { Deadline, DeadlineExceededError } from '../resilience/deadline.js';
import { RegionHealth } from '../resilience/region-health.js';
import { classifyRetryError, retry } from '../resilience/retry.js';
import type { RouteDecision } from '../routing/model-router.js';
import type { ModelErrorClass } from '../runtime/model-errors.js';
import {
  emptyUsage,
  type ModelRequest,
  type ModelRuntime,
  type ModelRuntimeProvider,
  type ModelStreamEvent,
  type TokenUsage,
} from '../runtime/model-runtime.js';
import {
  AllModelsFailedError,
  GatewayTimeoutError,
  ModelRequestRejectedError,
  StreamInterruptedError,
} from './gateway-errors.js';
import type {
  AttemptRecord,
  GatewayCallOptions,
  GatewayRequest,
  GatewayResult,
  GatewayStreamEvent,
  ModelSelector,
} from './gateway-types.js';
import { inferenceCompletedEvent } from './inference-completed.js';

export const defaultDegradedAnswer =
  '申し訳ございません。ただいま混み合っております。しばらくしてからもう一度お試しください。\n' +
  "Sorry — we're experiencing high demand right now. Please try again in a moment.";

export interface FmGatewayOptions {
  readonly catalog: ModelCatalog;
  /** Bedrock runtimes per region and API; build clients once and reuse them. */
  readonly runtimes: ModelRuntimeProvider;
  readonly selectModel: ModelSelector;
  /** Ordered failover targets (region + optional inference-profile geography). */
  readonly regionTargets: readonly RegionTarget[];
  /** Where data may be processed unless a request says otherwise. @default - anywhere configured */
  readonly allowedGeographies?: readonly Geography[];
  /** @default - no response cache */
  readonly cache?: ResponseCache;
  /** Receives one `InferenceCompleted` per answer. @default - no events */
  readonly events?: EventPublisher;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
  /** Retries in place, per target. @default 3 attempts, 100 ms base, 2 s cap */
  readonly retry?: Partial<RetryPolicy>;
  /** No retry starts unless this much time is left after its backoff. @default 200 */
  readonly minAttemptMs?: number;
  /** @default a registry with 5 failures to open and 30 s open */
  readonly breakers?: CircuitBreakerRegistry;
  /** @default cooldowns of 60 s doubling to 600 s */
  readonly regionHealth?: RegionHealth;
  /** @default 3000 (the chat SLA) */
  readonly defaultDeadlineMs?: number;
  /** Bounds a whole stream, first token to last. @default 120000 */
  readonly streamTimeoutMs?: number;
  /** The last rung of the ladder; `false` throws `AllModelsFailedError` instead. @default defaultDegradedAnswer */
  readonly degradedAnswer?: string | false;
  /** Add a prompt-cache point after the system prompt for models that support it. @default true */
  readonly promptCaching?: boolean;
  /** Wall-clock epoch ms, for cache entries. @default Date.now */
  readonly now?: () => number;
}

interface Call {
  readonly requestId: string;
  readonly request: GatewayRequest;
  readonly routing: RouteDecision;
  readonly maxTokens: number;
  readonly startedAt: number;
  readonly attempts: MutableAttempt[];
}

type MutableAttempt = { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] };

interface Answered<T> {
  readonly value: T;
  readonly key: string;
  readonly spec: ModelSpec;
  readonly target: InvocationTarget;
}

type Operation<T> = (runtime: ModelRuntime, request: ModelRequest, signal: AbortSignal) => Promise<T>;

const defaultMaxTokens = 1024;

/**
 * A failure that says something about the region rather than one model: outages, timeouts,
 * broken streams. Throttling is a per-model quota, so it feeds that model's circuit breaker
 * but does not take the region away from the other models.
 */
function isRegionFailure(failure: ModelErrorClass): boolean {
  return failure.countsAsFailure && failure.kind !== 'throttled';
}
const defaultStreamTimeoutMs = 120_000;
const defaultMinAttemptMs = 200;

/**
 * The FM gateway: every model call of the platform goes through it.
 *
 * A call is routed to a catalog model, served from the response cache when a fresh answer
 * exists, and otherwise sent down the model's fallback ladder: each model is tried at each
 * allowed target in order (regions cooling down and open breakers are skipped), with retries
 * in place for transient errors while the deadline allows. When no model answers, a stale
 * cached answer or the degraded answer is returned (flagged `degraded`). Errors thrown:
 * `UnknownModelError` (routing), `ModelRequestRejectedError` (Bedrock refused the request),
 * `GatewayTimeoutError` (deadline, nothing cached), `AllModelsFailedError` (degraded answer
 * disabled), `StreamInterruptedError` (a stream failed after its first token), or the
 * caller's own abort reason.
 *
 * @example
 * const result = await gateway.complete({ tenantId: 't1', model: 'fast', messages: [{ role: 'user', content: 'こんにちは' }] });
 */
export class FmGateway {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly breakers: CircuitBreakerRegistry;
  private readonly regionHealth: RegionHealth;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: FmGatewayOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.breakers = options.breakers ?? new CircuitBreakerRegistry({ clock: this.clock });
    this.regionHealth = options.regionHealth ?? new RegionHealth({ clock: this.clock });
  }

  /** Answers whole. See the class comment for the failure semantics. */
  async complete(request: GatewayRequest, options: GatewayCallOptions = {}): Promise<GatewayResult> {
    const call = this.begin(request);
    const fresh = await this.lookup(call, call.routing.model);
    if (fresh?.fresh) return this.finish(call, this.fromCache(call, fresh));

    const deadline = this.deadline(options);
    try {
      const answered = await this.runLadder(call, deadline, (runtime, modelRequest, signal) =>
        runtime.invoke(modelRequest, signal),
      );
      const { text, stopReason, usage } = answered.value;
      const result = this.fromModel(call, answered, text, stopReason, usage);
      await this.store(call, result);
      return this.finish(call, result);
    } catch (error) {
      return this.finish(call, await this.lastResort(call, error, deadline, options.signal));
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Answers as a stream of deltas and a final `complete`. Until the first token, failures are
   * retried, failed over and fallen back exactly as in `complete`; after it, a failure ends the
   * stream with `StreamInterruptedError` and nothing is cached. Stopping the iteration early
   * cancels the model call.
   */
  async *stream(
    request: GatewayRequest,
    options: GatewayCallOptions = {},
  ): AsyncGenerator<GatewayStreamEvent> {
    const call = this.begin(request);
    const fresh = await this.lookup(call, call.routing.model);
    if (fresh?.fresh) {
      yield* this.replay(this.finish(call, this.fromCache(call, fresh)));
      return;
    }

    // Bounds the whole stream and carries the caller's abort; stopping early cancels it too.
    const lifetime = new Deadline(this.options.streamTimeoutMs ?? defaultStreamTimeoutMs, {
      clock: this.clock,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const cancel = new AbortController();
    const deadline = this.deadline(options);
    try {
      let opened: Answered<{
        iterator: AsyncIterator<ModelStreamEvent>;
        first: IteratorResult<ModelStreamEvent>;
      }>;
      try {
        opened = await this.runLadder(call, deadline, async (runtime, modelRequest, signal) => {
          const iterator = runtime
            .stream(modelRequest, AbortSignal.any([signal, lifetime.signal, cancel.signal]))
            [Symbol.asyncIterator]();
          return { iterator, first: await iterator.next() };
        });
      } catch (error) {
        yield* this.replay(this.finish(call, await this.lastResort(call, error, deadline, options.signal)));
        return;
      } finally {
        deadline.dispose();
      }

      let text = '';
      let ttftMs: number | undefined;
      for (let next = opened.value.first; !next.done; ) {
        const event = next.value;
        if (event.type === 'end') {
          const result = { ...this.fromModel(call, opened, text, event.stopReason, event.usage), ttftMs };
          await this.store(call, result);
          yield { type: 'complete', result: this.finish(call, result) };
          return;
        }
        ttftMs ??= this.clock.now() - call.startedAt;
        text += event.text;
        yield event;
        next = await this.nextEvent(opened.value.iterator, call, opened, text.length, options.signal);
      }
      throw new StreamInterruptedError('StreamEndedWithoutUsage', text.length, call.attempts);
    } finally {
      cancel.abort(); // a no-op for a finished model stream; cancels one the caller stopped reading
      lifetime.dispose();
    }
  }

  /** Resolves when every event published so far has been handed to the bus (or failed and was logged). */
  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  /** Circuit breakers and region health, for inspection endpoints and logs. */
  health() {
    return { breakers: this.breakers.snapshot(), regions: this.regionHealth.snapshot() };
  }

  private begin(request: GatewayRequest): Call {
    const routing = this.options.selectModel({
      model: request.model ?? 'auto',
      ...(request.system !== undefined ? { system: request.system } : {}),
      messages: request.messages,
      ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : {}),
    });
    return {
      requestId: request.requestId ?? randomUUID(),
      request,
      routing,
      maxTokens: request.maxTokens ?? defaultMaxTokens,
      startedAt: this.clock.now(),
      attempts: [],
    };
  }

  private deadline(options: GatewayCallOptions): Deadline {
    return new Deadline(options.deadlineMs ?? this.options.defaultDeadlineMs ?? 3000, {
      clock: this.clock,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  private cacheKey(call: Call, model: string): string {
    const { request } = call;
    return responseCacheKey({
      tenantId: request.tenantId,
      model,
      ...(request.system !== undefined ? { system: request.system } : {}),
      messages: request.messages,
      maxTokens: call.maxTokens,
    });
  }

  private async lookup(call: Call, model: string): Promise<CacheLookup | undefined> {
    const { cache } = this.options;
    if (!cache || call.request.useCache === false) return undefined;
    return cache.get(this.cacheKey(call, model));
  }

  private async store(call: Call, result: GatewayResult): Promise<void> {
    const { cache } = this.options;
    if (!cache || call.request.useCache === false || result.stopReason !== 'end_turn') return;
    await cache.set(this.cacheKey(call, result.model), {
      text: result.text,
      model: result.model,
      modelId: result.modelId,
      region: result.region,
      stopReason: result.stopReason,
      usage: result.usage,
      storedAt: (this.options.now ?? Date.now)(),
    });
  }

  /** Tries each model of the ladder at each usable target until one answers. */
  private async runLadder<T>(call: Call, deadline: Deadline, operation: Operation<T>): Promise<Answered<T>> {
    const { catalog, regionTargets } = this.options;
    const geographies = call.request.geographies ?? this.options.allowedGeographies;
    let lastError: unknown;
    let lastKind: AllModelsFailedError['kind'] = 'no-target';
    for (const key of fallbackLadder(catalog, call.routing.model)) {
      const spec = catalog.models[key];
      if (!spec) continue;
      const { usable, skipped } = invocationTargets(spec, regionTargets, geographies);
      for (const target of skipped) {
        call.attempts.push({
          model: key,
          region: target.region,
          modelId: '',
          outcome: 'skipped',
          calls: 0,
          reason: target.reason,
        });
      }
      let failOver = true;
      for (const target of usable) {
        if (!failOver) break;
        this.throwIfOutOfTime(deadline);
        const record: MutableAttempt = {
          model: key,
          region: target.region,
          modelId: target.modelId,
          outcome: 'failed',
          calls: 0,
        };
        call.attempts.push(record);
        if (!this.regionHealth.isAvailable(target.region)) {
          Object.assign(record, { outcome: 'skipped', reason: 'cooling-down' });
          continue;
        }
        try {
          const value = await this.tryTarget(spec, target, call, deadline, record, operation);
          record.outcome = 'success';
          this.regionHealth.markSuccess(target.region);
          return { value, key, spec, target };
        } catch (error) {
          this.throwIfOutOfTime(deadline);
          const failure = classifyRetryError(error);
          lastError = error;
          if (error instanceof CircuitOpenError) {
            Object.assign(record, { outcome: 'skipped', reason: 'circuit-open' });
            continue;
          }
          record.error = failure.code;
          lastKind = lastKind === 'no-target' || lastKind === failure.kind ? failure.kind : 'unavailable';
          if (isRegionFailure(failure)) this.regionHealth.markFailure(target.region);
          this.logger.warn('model attempt failed', {
            requestId: call.requestId,
            model: key,
            region: target.region,
            code: failure.code,
          });
          if (failure.kind === 'rejected') {
            throw new ModelRequestRejectedError(failure.code, failure.message, call.attempts, error);
          }
          failOver = failure.failover;
          if (!failure.fallback) break;
        }
      }
    }
    throw new AllModelsFailedError(call.attempts, lastKind, lastError);
  }

  /**
   * Stops the ladder when the caller aborted, the deadline expired, or too little time is left
   * for another attempt to finish (`minAttemptMs`): the last resort takes over from there.
   */
  private throwIfOutOfTime(deadline: Deadline): void {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    if (deadline.remainingMs() < (this.options.minAttemptMs ?? defaultMinAttemptMs)) {
      throw new DeadlineExceededError(deadline.budgetMs, deadline.elapsedMs());
    }
  }

  /** One model at one target: retries in place, each attempt under the model's timeout and the breaker. */
  private tryTarget<T>(
    spec: ModelSpec,
    target: InvocationTarget,
    call: Call,
    deadline: Deadline,
    record: MutableAttempt,
    operation: Operation<T>,
  ): Promise<T> {
    const runtime = this.options.runtimes(target.region, spec.api);
    const breaker = this.breakers.get(circuitKey(target.modelId, target.region));
    const modelRequest = this.modelRequest(call, spec, target);
    return retry(
      async () => {
        const permit = breaker.tryAcquire();
        if (!permit)
          throw new CircuitOpenError(circuitKey(target.modelId, target.region), breaker.retryAfterMs());
        record.calls += 1;
        const attempt = deadline.child(spec.timeoutMs);
        try {
          const value = await operation(runtime, modelRequest, attempt.signal);
          permit.succeed();
          return value;
        } catch (error) {
          // The attempt's own timeout surfaces from the SDK as an abort; report it as the timeout it is.
          const ownTimeout = attempt.signal.reason instanceof DeadlineExceededError && !deadline.expired;
          const failure = ownTimeout ? attempt.signal.reason : error;
          if (classifyRetryError(failure).countsAsFailure) permit.fail();
          else permit.release();
          throw failure;
        } finally {
          attempt.dispose();
        }
      },
      {
        deadline,
        clock: this.clock,
        ...(this.options.retry ? { policy: this.options.retry } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
        ...(this.options.minAttemptMs !== undefined ? { minAttemptMs: this.options.minAttemptMs } : {}),
      },
    );
  }

  private modelRequest(call: Call, spec: ModelSpec, target: InvocationTarget): ModelRequest {
    const { request } = call;
    return {
      modelId: target.modelId,
      ...(request.system !== undefined ? { system: request.system } : {}),
      messages: request.messages,
      maxTokens: Math.min(call.maxTokens, spec.maxTokens),
      temperature: request.temperature ?? spec.temperature,
      promptCache: (this.options.promptCaching ?? true) && spec.promptCaching && Boolean(request.system),
    };
  }

  /** Pulls the next stream event; a failure here is after the first token, so it ends the stream. */
  private async nextEvent(
    iterator: AsyncIterator<ModelStreamEvent>,
    call: Call,
    opened: Answered<unknown>,
    deliveredChars: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<IteratorResult<ModelStreamEvent>> {
    try {
      return await iterator.next();
    } catch (error) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      const failure = classifyRetryError(error);
      if (failure.countsAsFailure) {
        this.breakers.get(circuitKey(opened.target.modelId, opened.target.region)).tryAcquire()?.fail();
      }
      if (isRegionFailure(failure)) this.regionHealth.markFailure(opened.target.region);
      const interrupted = new StreamInterruptedError(failure.code, deliveredChars, call.attempts, error);
      this.publish(
        call,
        {
          ...this.fromModel(call, opened, '', 'other', emptyUsage),
          latencyMs: this.clock.now() - call.startedAt,
        },
        'error',
      );
      throw interrupted;
    }
  }

  /** When no model answered: a stale cached answer, else the degraded answer, else a typed error. */
  private async lastResort(
    call: Call,
    error: unknown,
    deadline: Deadline,
    callerSignal: AbortSignal | undefined,
  ): Promise<GatewayResult> {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (error instanceof ModelRequestRejectedError) throw error;
    if (!(error instanceof AllModelsFailedError || error instanceof DeadlineExceededError)) throw error;

    for (const model of fallbackLadder(this.options.catalog, call.routing.model)) {
      const stale = await this.lookup(call, model);
      if (stale) return { ...this.fromCache(call, stale), degraded: true };
    }
    if (error instanceof DeadlineExceededError) {
      throw new GatewayTimeoutError(deadline.budgetMs, call.attempts, error);
    }
    const text = this.options.degradedAnswer ?? defaultDegradedAnswer;
    if (text === false) throw error;
    this.logger.error('no model could answer; serving the degraded answer', {
      requestId: call.requestId,
      attempts: call.attempts,
    });
    return {
      ...this.base(call),
      text,
      model: 'none',
      modelId: 'none',
      region: 'none',
      stopReason: 'other',
      usage: emptyUsage,
      costUsd: 0,
      degraded: true,
    };
  }

  private base(call: Call) {
    return {
      requestId: call.requestId,
      latencyMs: this.clock.now() - call.startedAt,
      cached: false,
      stale: false,
      degraded: false,
      routing: call.routing,
      attempts: call.attempts,
    };
  }

  private fromModel(
    call: Call,
    answered: Answered<unknown>,
    text: string,
    stopReason: GatewayResult['stopReason'],
    usage: TokenUsage,
  ): GatewayResult {
    return {
      ...this.base(call),
      text,
      model: answered.key,
      modelId: answered.target.modelId,
      region: answered.target.region,
      stopReason,
      usage,
      costUsd: estimateCostUsd(answered.spec, usage),
    };
  }

  private fromCache(call: Call, lookup: CacheLookup): GatewayResult {
    const { answer, fresh } = lookup;
    return {
      ...this.base(call),
      text: answer.text,
      model: answer.model,
      modelId: answer.modelId,
      region: answer.region,
      stopReason: answer.stopReason,
      usage: emptyUsage,
      costUsd: 0,
      cached: true,
      stale: !fresh,
      degraded: !fresh,
    };
  }

  private async *replay(result: GatewayResult): AsyncGenerator<GatewayStreamEvent> {
    if (result.text) yield { type: 'delta', text: result.text };
    yield { type: 'complete', result: { ...result, ttftMs: result.latencyMs } };
  }

  private finish(call: Call, result: GatewayResult): GatewayResult {
    this.publish(call, result, result.degraded ? 'degraded' : 'success');
    return result;
  }

  /** Publishes `InferenceCompleted` without ever failing or delaying the caller; `flush()` awaits it. */
  private publish(call: Call, result: GatewayResult, status: 'success' | 'degraded' | 'error'): void {
    const { events } = this.options;
    if (!events) return;
    const publishing = events
      .publish([inferenceCompletedEvent(result, status, call.request)])
      .catch((error: unknown) => {
        this.logger.warn('InferenceCompleted was not published', {
          requestId: result.requestId,
          error: String(error),
        });
      })
      .finally(() => this.pending.delete(publishing));
    this.pending.add(publishing);
  }
}
