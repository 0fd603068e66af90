import { randomUUID } from 'node:crypto';
import type { RetryPolicy } from '@mangaassist/commons';
import {
  type Clock,
  Deadline,
  DeadlineExceededError,
  type Logger,
  type Random,
  silentLogger,
  systemClock,
} from '@mangaassist/commons';
import type { InferenceCompletedDetail } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { responseCacheKey } from '../cache/cache-key.js';
import type { CacheLookup, ResponseCache } from '../cache/response-cache.js';
import { type Geography, isWithin } from '../catalog/geography.js';
import {
  type InvocationTarget,
  invocationTargets,
  type RegionTarget,
} from '../catalog/invocation-targets.js';
import { fallbackLadder, type ModelCatalog, type ModelSpec } from '../catalog/model-catalog.js';
import { estimateCostUsd } from '../cost/estimate-cost.js';
import { CircuitBreakerRegistry, CircuitOpenError, circuitKey } from '../resilience/circuit-breaker.js';
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
import { estimateTokens } from '../text/estimate-tokens.js';
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
  /** No retry or failover starts unless this much time is left (after any backoff). @default 200 */
  readonly minAttemptMs?: number;
  /**
   * While other targets or models remain, one attempt may use at most this share of the time
   * left (and never more than the model's `timeoutMs`), so a hung target leaves time for failover.
   * @default 0.5
   */
  readonly attemptShare?: number;
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

/** One model at one target, or a target that model must skip (and why). */
type Step = { readonly key: string; readonly spec: ModelSpec; readonly region: string } & (
  | { readonly target: InvocationTarget; readonly skip?: undefined }
  | { readonly target?: undefined; readonly skip: string }
);

type Operation<T> = (runtime: ModelRuntime, request: ModelRequest, signal: AbortSignal) => Promise<T>;

const defaultMaxTokens = 1024;

/**
 * A failure that says something about the route rather than one model: 5xx outages and network
 * faults. Throttling (a per-model quota), timeouts and ModelNotReady belong to one model, so they
 * feed that model's circuit breaker but do not take the route away from the other models.
 */
function isRegionFailure(failure: ModelErrorClass): boolean {
  return (
    failure.countsAsFailure && failure.kind === 'unavailable' && failure.code !== 'ModelNotReadyException'
  );
}

/** Health is kept per route: a region, or a cross-region profile called from it. */
function routeKey(target: InvocationTarget): string {
  return target.profile ? `${target.region}/${target.profile}` : target.region;
}
const defaultStreamTimeoutMs = 120_000;
const defaultMinAttemptMs = 200;
const defaultAttemptShare = 0.5;

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
  private readonly minAttemptMs: number;

  constructor(private readonly options: FmGatewayOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.breakers = options.breakers ?? new CircuitBreakerRegistry({ clock: this.clock });
    this.regionHealth = options.regionHealth ?? new RegionHealth({ clock: this.clock });
    this.minAttemptMs = options.minAttemptMs ?? defaultMinAttemptMs;
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
    let model: AsyncIterator<ModelStreamEvent> | undefined;
    let finished = false;
    let answering: Answered<unknown> | undefined;
    let text = '';
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

      model = opened.value.iterator;
      answering = opened;
      let ttftMs: number | undefined;
      for (let next = opened.value.first; !next.done; ) {
        const event = next.value;
        if (event.type === 'end') {
          finished = true;
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
      if (!finished) {
        cancel.abort(); // the caller stopped reading, or the stream failed: cancel the model call
        await model?.return?.()?.catch(() => {});
        if (answering) this.abandoned(call, answering, text, options);
      }
      lifetime.dispose();
    }
  }

  /**
   * A stream that ended after its first token without finishing (interrupted, or the caller
   * stopped reading) still consumed tokens. Bedrock reports usage only at the end, so the spend is
   * estimated from the prompt and the delivered text, published, and handed to `onAbandoned`
   * (the tenant's budget), so abandoning streams is never free.
   */
  private abandoned(
    call: Call,
    answered: Answered<unknown>,
    delivered: string,
    options: GatewayCallOptions,
  ): void {
    const { request } = call;
    const prompt = [request.system ?? '', ...request.messages.map((message) => message.content)].join('\n');
    const usage = {
      ...emptyUsage,
      inputTokens: estimateTokens(prompt),
      outputTokens: estimateTokens(delivered),
    };
    const result = {
      ...this.fromModel(call, answered, delivered, 'other', usage),
      latencyMs: this.clock.now() - call.startedAt,
    };
    this.publish(call, result, 'error');
    options.onAbandoned?.({ model: result.model, usage, costUsd: result.costUsd });
  }

  /**
   * Resolves when every event published so far has been handed to the bus (or failed and was
   * logged), or after `timeoutMs` at the latest: a slow bus never holds a response for long.
   */
  async flush(timeoutMs?: number): Promise<void> {
    const all = Promise.all(this.pending);
    if (timeoutMs === undefined) {
      await all;
      return;
    }
    const stop = new AbortController();
    await Promise.race([all, this.clock.sleep(timeoutMs, stop.signal).catch(() => {})]);
    stop.abort();
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

  /**
   * The ladder flattened into steps, in order: each model of the fallback ladder at each
   * configured target. Targets a model cannot use (no such profile, not on demand, outside the
   * allowed geographies) stay in the plan as skips, so the attempts read in the order of the ladder.
   */
  private plan(call: Call): Step[] {
    const { catalog, regionTargets } = this.options;
    const requested = call.request.geographies;
    return fallbackLadder(catalog, call.routing.model).flatMap((key) => {
      const spec = catalog.models[key];
      if (!spec) return [];
      const { usable, skipped } = invocationTargets(spec, regionTargets, this.options.allowedGeographies);
      return [
        ...usable.map(
          (target): Step =>
            // A request may narrow the deployment's data-residency policy, never widen it.
            requested && !isWithin(target.geography, requested)
              ? { key, spec, region: target.region, skip: 'geography' }
              : { key, spec, region: target.region, target },
        ),
        ...skipped.map((target): Step => ({ key, spec, region: target.region, skip: target.reason })),
      ];
    });
  }

  /** Tries each step of the plan until one answers; see the class comment for what ends it early. */
  private async runLadder<T>(call: Call, deadline: Deadline, operation: Operation<T>): Promise<Answered<T>> {
    const steps = this.plan(call);
    let lastError: unknown;
    let lastKind: AllModelsFailedError['kind'] = 'no-target';
    let skipModel: string | undefined;
    for (const [index, step] of steps.entries()) {
      if (step.key === skipModel) continue;
      const { key, target } = step;
      if (!target) {
        call.attempts.push({
          model: key,
          region: step.region,
          modelId: '',
          outcome: 'skipped',
          calls: 0,
          reason: step.skip,
        });
        continue;
      }
      this.throwIfOutOfTime(deadline);
      const record: MutableAttempt = {
        model: key,
        region: target.region,
        modelId: target.modelId,
        outcome: 'failed',
        calls: 0,
      };
      call.attempts.push(record);
      const route = routeKey(target);
      if (!this.regionHealth.isAvailable(route)) {
        Object.assign(record, { outcome: 'skipped', reason: 'cooling-down' });
        continue;
      }
      const moreToTry = steps.slice(index + 1).some((next) => next.target && next.key !== skipModel);
      try {
        const value = await this.tryTarget(step.spec, target, call, deadline, record, operation, moreToTry);
        record.outcome = 'success';
        this.regionHealth.markSuccess(route);
        return { value, key, spec: step.spec, target };
      } catch (error) {
        if (deadline.signal.aborted && !(deadline.signal.reason instanceof DeadlineExceededError)) {
          throw deadline.signal.reason; // the caller went away
        }
        const failure = classifyRetryError(error);
        lastError = error;
        if (failure.kind === 'rejected') {
          record.error = failure.code;
          throw new ModelRequestRejectedError(failure.code, failure.message, call.attempts, error);
        }
        if (error instanceof CircuitOpenError) {
          // Open before this call, or opened by this call's own failures (keep their error code).
          if (record.calls === 0) Object.assign(record, { outcome: 'skipped', reason: 'circuit-open' });
          else record.reason = 'circuit-opened';
        } else {
          record.error = failure.code;
          lastKind = lastKind === 'no-target' || lastKind === failure.kind ? failure.kind : 'unavailable';
          if (isRegionFailure(failure)) this.regionHealth.markFailure(route);
          this.logger.warn('model attempt failed', {
            requestId: call.requestId,
            model: key,
            region: target.region,
            code: failure.code,
          });
          if (!failure.failover) skipModel = key;
        }
        this.throwIfOutOfTime(deadline);
      }
    }
    throw new AllModelsFailedError(call.attempts, lastKind, lastError);
  }

  /**
   * Stops the ladder when the deadline expired or too little time is left for another attempt
   * to finish (`minAttemptMs`): the last resort takes over from there.
   */
  private throwIfOutOfTime(deadline: Deadline): void {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    if (deadline.remainingMs() < this.minAttemptMs) {
      throw new DeadlineExceededError(deadline.budgetMs, deadline.elapsedMs());
    }
  }

  /**
   * One model at one target: retries in place under the breaker. Each attempt gets at most the
   * model's timeout and, while other steps remain, at most `attemptShare` of the time left, so a
   * target that hangs cannot spend the whole deadline.
   */
  private tryTarget<T>(
    spec: ModelSpec,
    target: InvocationTarget,
    call: Call,
    deadline: Deadline,
    record: MutableAttempt,
    operation: Operation<T>,
    moreToTry: boolean,
  ): Promise<T> {
    const runtime = this.options.runtimes(target.region, spec.api);
    const key = circuitKey(target.modelId, target.region);
    const breaker = this.breakers.get(key);
    const modelRequest = this.modelRequest(call, spec, target);
    const share = this.options.attemptShare ?? defaultAttemptShare;
    return retry(
      async () => {
        const permit = breaker.tryAcquire();
        if (!permit) throw new CircuitOpenError(key, breaker.retryAfterMs());
        record.calls += 1;
        const remaining = deadline.remainingMs();
        const budget = Math.min(
          spec.timeoutMs,
          moreToTry ? Math.max(remaining * share, this.minAttemptMs) : remaining,
        );
        const attempt = deadline.child(budget);
        try {
          const value = await operation(runtime, modelRequest, attempt.signal);
          permit.succeed();
          return value;
        } catch (error) {
          // A budget that ran out surfaces from the SDK as an abort: report the timeout it is.
          const timedOut = attempt.signal.reason instanceof DeadlineExceededError;
          const failure = timedOut ? attempt.signal.reason : error;
          const failureClass = classifyRetryError(failure);
          record.error = failureClass.code;
          if (failureClass.countsAsFailure) permit.fail();
          else permit.release();
          throw failure;
        } finally {
          attempt.dispose();
        }
      },
      {
        deadline,
        clock: this.clock,
        minAttemptMs: this.minAttemptMs,
        ...(this.options.retry ? { policy: this.options.retry } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
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
      // The stream's permit was settled at its first token; record this failure as a new one,
      // but never by taking a half-open probe slot that no probe will use.
      const breaker = this.breakers.get(circuitKey(opened.target.modelId, opened.target.region));
      if (failure.countsAsFailure && breaker.state === 'closed') breaker.tryAcquire()?.fail();
      if (isRegionFailure(failure)) this.regionHealth.markFailure(routeKey(opened.target));
      throw new StreamInterruptedError(failure.code, deliveredChars, call.attempts, error);
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
    if (error instanceof AllModelsFailedError || error instanceof DeadlineExceededError) {
      // One round trip's worth of waiting, whatever the ladder's length.
      const ladder = fallbackLadder(this.options.catalog, call.routing.model);
      const stale = (await Promise.all(ladder.map((model) => this.lookup(call, model)))).find(Boolean);
      if (stale) return { ...this.fromCache(call, stale), degraded: true };
    }
    const failure = this.failed(call, error, deadline);
    if (failure.degraded) {
      this.logger.error('no model could answer; serving the degraded answer', {
        requestId: call.requestId,
        attempts: call.attempts,
      });
      return failure.degraded; // published by `finish`, like every answer
    }
    this.publish(call, failure.result, failure.status);
    throw failure.error;
  }

  /** What a failed call reports: its event, and either the degraded answer or the error to throw. */
  private failed(call: Call, error: unknown, deadline: Deadline) {
    const result: GatewayResult = {
      ...this.base(call),
      text: '',
      model: 'none',
      modelId: 'none',
      region: 'none',
      stopReason: 'other',
      usage: emptyUsage,
      costUsd: 0,
    };
    if (error instanceof DeadlineExceededError) {
      return {
        result,
        status: 'timeout' as const,
        error: new GatewayTimeoutError(deadline.budgetMs, call.attempts, error),
      };
    }
    const text = this.options.degradedAnswer ?? defaultDegradedAnswer;
    if (error instanceof AllModelsFailedError && text !== false) {
      return { result, status: 'error' as const, degraded: { ...result, text, degraded: true }, error };
    }
    return { result, status: 'error' as const, error };
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
  private publish(call: Call, result: GatewayResult, status: InferenceCompletedDetail['status']): void {
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
