// The FM gateway's front: it composes the pieces of a model call (the call itself, the response
// cache, the ladder executor, the stream lifecycle, the last resort and the inference-event sink)
// into `complete` and `stream`. Each piece lives in its own module beside this one.

import {
  type Clock,
  type Logger,
  type Random,
  type RetryPolicy,
  silentLogger,
  systemClock,
} from '@mangaassist/commons';
import { traced, withTraceAnnotations } from '@mangaassist/commons/tracing';
import type { EventPublisher } from '@mangaassist/events';
import type { CacheLookup, ResponseCache } from '../cache/response-cache.js';
import type { Geography } from '../catalog/geography.js';
import type { RegionTarget } from '../catalog/invocation-targets.js';
import type { ModelCatalog } from '../catalog/model-catalog.js';
import { CircuitBreakerRegistry } from '../resilience/circuit-breaker.js';
import { RegionHealth } from '../resilience/region-health.js';
import type { GuardrailRef, ModelRuntimeProvider } from '../runtime/model-runtime.js';
import { CachedAnswers } from './cached-answers.js';
import { callDeadline, type GatewayCall, startCall } from './gateway-call.js';
import { resultAsStream, resultFromCache, resultFromModel } from './gateway-result.js';
import type {
  AttemptTracer,
  GatewayCallOptions,
  GatewayRequest,
  GatewayResult,
  GatewayStreamEvent,
  ModelSelector,
} from './gateway-types.js';
import { InferenceEventSink } from './inference-event-sink.js';
import { LadderExecutor } from './ladder-executor.js';
import { LastResort } from './last-resort.js';
import { StreamLifecycle } from './stream-lifecycle.js';

/** The answer of last resort, in Japanese and English; replace it with `FmGatewayOptions.degradedAnswer`. */
export const defaultDegradedAnswer =
  '申し訳ございません。ただいま混み合っております。しばらくしてからもう一度お試しください。\n' +
  "Sorry — we're experiencing high demand right now. Please try again in a moment.";

/** What an `FmGateway` is built from; only the catalog, runtimes, selector and targets are required. */
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
  /**
   * A Bedrock guardrail (e.g. a prompt-attack filter) applied to every call's new user message,
   * through Converse; its verdict is `GatewayResult.guardrail`. Answers are cached per guardrail.
   * @default - none
   */
  readonly guardrail?: GuardrailRef;
  /** Each target tried, start to end (a span each). @default - none */
  readonly attemptTracer?: AttemptTracer;
}

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
  private readonly breakers: CircuitBreakerRegistry;
  private readonly regionHealth: RegionHealth;
  private readonly answers: CachedAnswers;
  private readonly events: InferenceEventSink;
  private readonly ladder: LadderExecutor;
  private readonly lastResort: LastResort;
  private readonly streams: StreamLifecycle;

  constructor(private readonly options: FmGatewayOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    this.clock = clock;
    this.breakers = options.breakers ?? new CircuitBreakerRegistry({ clock });
    this.regionHealth = options.regionHealth ?? new RegionHealth({ clock });
    this.answers = new CachedAnswers(options.cache, options.now, options.guardrail);
    this.events = new InferenceEventSink(options.events, logger, clock);
    this.ladder = new LadderExecutor({
      catalog: options.catalog,
      runtimes: options.runtimes,
      regionTargets: options.regionTargets,
      allowedGeographies: options.allowedGeographies,
      breakers: this.breakers,
      regionHealth: this.regionHealth,
      logger,
      clock,
      random: options.random,
      retry: options.retry,
      minAttemptMs: options.minAttemptMs,
      attemptShare: options.attemptShare,
      promptCaching: options.promptCaching,
      guardrail: options.guardrail,
      attemptTracer: options.attemptTracer,
    });
    this.lastResort = new LastResort({
      catalog: options.catalog,
      answers: this.answers,
      events: this.events,
      logger,
      clock,
      degradedAnswer: options.degradedAnswer ?? defaultDegradedAnswer,
    });
    this.streams = new StreamLifecycle({
      ladder: this.ladder,
      lastResort: this.lastResort,
      answers: this.answers,
      events: this.events,
      clock,
      defaultDeadlineMs: options.defaultDeadlineMs,
      streamTimeoutMs: options.streamTimeoutMs,
    });
  }

  /** Answers whole. See the class comment for the failure semantics. */
  async complete(request: GatewayRequest, options: GatewayCallOptions = {}): Promise<GatewayResult> {
    const call = this.begin(request);
    const fresh = await this.freshAnswer(call);
    if (fresh) return this.events.answered(request, resultFromCache(call, fresh, this.clock));

    const deadline = callDeadline(options, this.options.defaultDeadlineMs, this.clock);
    try {
      const answered = await this.ladder.run(call, deadline, (runtime, modelRequest, signal) =>
        runtime.invoke(modelRequest, signal),
      );
      const result = resultFromModel(call, answered, answered.value, this.clock);
      await this.answers.store(call, result);
      return this.events.answered(request, result);
    } catch (error) {
      const result = await this.lastResort.answer(call, error, deadline, options.signal);
      return this.events.answered(request, result);
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
    const fresh = await this.freshAnswer(call);
    if (fresh) {
      yield* resultAsStream(this.events.answered(request, resultFromCache(call, fresh, this.clock)));
      return;
    }
    yield* this.streams.stream(call, options);
  }

  /**
   * Resolves when every event published so far has been handed to the bus (or failed and was
   * logged), or after `timeoutMs` at the latest: a slow bus never holds a response for long.
   */
  flush(timeoutMs?: number): Promise<void> {
    return this.events.flush(timeoutMs);
  }

  /** Circuit breakers and region health, for inspection endpoints and logs. */
  health() {
    return { breakers: this.breakers.snapshot(), regions: this.regionHealth.snapshot() };
  }

  /**
   * The cache's fresh answer to the call from its own model, if any, with the outcome kept on
   * the call and traced as a `ResponseCache` subsegment annotated with the tenant and outcome.
   */
  private freshAnswer(call: GatewayCall): Promise<CacheLookup | undefined> {
    return withTraceAnnotations({ tenant: call.request.tenantId }, () =>
      traced('ResponseCache', async (subsegment) => {
        const found = await this.answers.lookup(call, call.routing.model);
        if (this.answers.enabledFor(call)) {
          call.cache = found === undefined ? 'miss' : found.fresh ? 'hit' : 'stale';
        }
        subsegment.annotate({ cache: call.cache });
        return found?.fresh ? found : undefined;
      }),
    );
  }

  private begin(request: GatewayRequest): GatewayCall {
    return startCall(request, this.options.selectModel, this.clock);
  }
}
