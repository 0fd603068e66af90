// The ladder executor: the gateway's failover policy. It tries a call's fallback ladder (each
// model at each allowed target) with retries in place, circuit breakers, region health, the call's
// deadline and `minAttemptMs`. The model call itself is a parameter, so a whole answer and a
// stream's first event fail over the same way.

import type { RetryPolicy } from '@mangaassist/commons';
import {
  type Clock,
  type Deadline,
  DeadlineExceededError,
  type Logger,
  type Random,
} from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import { type Geography, isWithin } from '../catalog/geography.js';
import {
  type InvocationTarget,
  invocationTargets,
  type RegionTarget,
} from '../catalog/invocation-targets.js';
import { fallbackLadder, type ModelCatalog, type ModelSpec } from '../catalog/model-catalog.js';
import { type CircuitBreakerRegistry, CircuitOpenError, circuitKey } from '../resilience/circuit-breaker.js';
import type { RegionHealth } from '../resilience/region-health.js';
import { classifyRetryError, retry } from '../resilience/retry.js';
import type { ModelErrorClass } from '../runtime/model-errors.js';
import type {
  GuardrailRef,
  ModelRequest,
  ModelRuntime,
  ModelRuntimeProvider,
} from '../runtime/model-runtime.js';
import type { Answered, GatewayCall, MutableAttempt } from './gateway-call.js';
import { AllModelsFailedError, ModelRequestRejectedError } from './gateway-errors.js';
import type { AttemptTracer } from './gateway-types.js';

/**
 * The model call the ladder makes at each target. It must honour `signal`: the ladder aborts it
 * when the attempt's share of the deadline runs out.
 */
export type ModelOperation<T> = (
  runtime: ModelRuntime,
  request: ModelRequest,
  signal: AbortSignal,
) => Promise<T>;

export interface LadderExecutorOptions {
  readonly catalog: ModelCatalog;
  readonly runtimes: ModelRuntimeProvider;
  /** Ordered failover targets (region + optional inference-profile geography). */
  readonly regionTargets: readonly RegionTarget[];
  /** @default - anywhere configured */
  readonly allowedGeographies?: readonly Geography[];
  /** Shared with whoever reports on them (`FmGateway.health`). */
  readonly breakers: CircuitBreakerRegistry;
  /** Shared with whoever reports on it (`FmGateway.health`). */
  readonly regionHealth: RegionHealth;
  readonly logger: Logger;
  readonly clock: Clock;
  /** @default Math.random */
  readonly random?: Random;
  /** Retries in place, per target. @default 3 attempts, 100 ms base, 2 s cap */
  readonly retry?: Partial<RetryPolicy>;
  /** No retry or failover starts unless this much time is left (after any backoff). @default 200 */
  readonly minAttemptMs?: number;
  /** Most of the time left one attempt may use while other targets remain. @default 0.5 */
  readonly attemptShare?: number;
  /** Add a prompt-cache point after the system prompt for models that support it. @default true */
  readonly promptCaching?: boolean;
  /**
   * Applied to each call's new user input (through Converse). Named by ARN, calls it guards are
   * sent from its region only (other targets are skipped as `guardrail-region`). @default - none
   */
  readonly guardrail?: GuardrailRef;
  /** @default - none */
  readonly attemptTracer?: AttemptTracer | undefined;
}

/** One model at one target, or a target that model must skip (and why). */
type Step = { readonly key: string; readonly spec: ModelSpec; readonly region: string } & (
  | { readonly target: InvocationTarget; readonly skip?: undefined }
  | { readonly target?: undefined; readonly skip: string }
);
type TargetStep = Extract<Step, { readonly target: InvocationTarget }>;

/** How the ladder is going: the last failure, a model not worth trying elsewhere, the routes it failed on. */
interface LadderProgress {
  lastError?: unknown;
  lastKind: AllModelsFailedError['kind'];
  skipModel?: string;
  /** Routes already counted as failed by this call: one request is one piece of evidence. */
  readonly failedRoutes: Set<string>;
}

/** One call's walk down its ladder: what every step of it shares. */
interface LadderWalk<T> {
  readonly call: GatewayCall;
  readonly deadline: Deadline;
  readonly operation: ModelOperation<T>;
  readonly progress: LadderProgress;
}

/** The step being tried: its attempt record and the last counted failure of its calls. */
interface StepTrial {
  readonly step: TargetStep;
  readonly record: MutableAttempt;
  /** Whether other steps remain, so this one may use only `attemptShare` of the time left. */
  readonly moreToTry: boolean;
  failure?: ModelErrorClass;
}

/** The fields of an attempt record that name the step. */
function attemptAt(step: TargetStep) {
  return { model: step.key, region: step.target.region, modelId: step.target.modelId };
}

const defaultMinAttemptMs = 200;
const defaultAttemptShare = 0.5;

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

/**
 * Runs operations down a call's fallback ladder until one target answers.
 *
 * Targets whose region is cooling down or whose breaker is open are skipped; transient errors are
 * retried in place while the deadline allows. Every target tried or skipped is appended to
 * `call.attempts`. Breakers and region health are shared state: one executor serves every call.
 */
export class LadderExecutor {
  private readonly minAttemptMs: number;
  private readonly attemptShare: number;
  private readonly promptCaching: boolean;

  constructor(private readonly options: LadderExecutorOptions) {
    this.minAttemptMs = options.minAttemptMs ?? defaultMinAttemptMs;
    this.attemptShare = options.attemptShare ?? defaultAttemptShare;
    this.promptCaching = options.promptCaching ?? true;
  }

  /**
   * Tries each step of the ladder until one answers, and returns what it answered. When no step
   * answered and some were skipped because their route is cooling down, one of those routes may
   * be probed (`RegionHealth.claimProbe`), so that a recovered region is found within a second
   * rather than at the end of its cooldown.
   *
   * Throws `ModelRequestRejectedError` as soon as Bedrock refuses the request itself,
   * `DeadlineExceededError` when the deadline ran out or less than `minAttemptMs` is left,
   * `AllModelsFailedError` when every step failed or was skipped, or the caller's own abort
   * reason when the caller went away.
   */
  async run<T>(call: GatewayCall, deadline: Deadline, operation: ModelOperation<T>): Promise<Answered<T>> {
    const steps = this.plan(call);
    const progress: LadderProgress = { lastKind: 'no-target', failedRoutes: new Set() };
    const walk: LadderWalk<T> = { call, deadline, operation, progress };
    const cooling: TargetStep[] = [];
    for (const [index, step] of steps.entries()) {
      if (step.key === progress.skipModel) continue;
      if (!step.target) {
        call.attempts.push({
          model: step.key,
          region: step.region,
          modelId: '',
          outcome: 'skipped',
          calls: 0,
          reason: step.skip,
        });
        continue;
      }
      this.throwIfOutOfTime(deadline);
      if (!this.options.regionHealth.isAvailable(routeKey(step.target))) {
        call.attempts.push({ ...attemptAt(step), outcome: 'skipped', calls: 0, reason: 'cooling-down' });
        cooling.push(step);
        continue;
      }
      const moreToTry = steps.slice(index + 1).some((next) => next.target && next.key !== progress.skipModel);
      const answered = await this.attempt(walk, step, moreToTry);
      if (answered) return answered;
    }
    const probe = this.probeOf(cooling, progress.skipModel);
    // A step that failed has already checked the time left (`attempt`); skips take none.
    if (probe) {
      const answered = await this.attempt(walk, probe, false, 'probe');
      if (answered) return answered;
    }
    throw new AllModelsFailedError(call.attempts, progress.lastKind, progress.lastError);
  }

  /**
   * One step: its answer, or `undefined` after a failure worth going on from (recorded in
   * `progress`, the route's health and the breaker). Throws what ends the whole ladder.
   */
  private async attempt<T>(
    walk: LadderWalk<T>,
    step: TargetStep,
    moreToTry: boolean,
    reason?: 'probe',
  ): Promise<Answered<T> | undefined> {
    const { call } = walk;
    const record: MutableAttempt = { ...attemptAt(step), outcome: 'failed', calls: 0 };
    if (reason) record.reason = reason;
    // 1 for the first target that was called, whatever the ladder skipped before it.
    const fallbackStep = call.attempts.filter((earlier) => earlier.calls > 0).length + 1;
    call.attempts.push(record);
    // The attempt's subsegment and every SDK call made for it carry these (`@mangaassist/commons/tracing`).
    const annotations = {
      tenant: call.request.tenantId,
      model: step.key,
      region: step.target.region,
      fallback_step: fallbackStep,
      cache: call.cache,
    };
    return withTraceAnnotations(annotations, async () => {
      const traced = this.options.attemptTracer?.start(record);
      const tryIt = () => this.tryStep(walk, { step, record, moreToTry });
      try {
        return await (traced?.within ? traced.within(tryIt) : tryIt());
      } finally {
        traced?.end(record);
      }
    });
  }

  /** `attempt` without its tracing. */
  private async tryStep<T>(walk: LadderWalk<T>, trial: StepTrial): Promise<Answered<T> | undefined> {
    const { call, deadline, progress } = walk;
    const { step, record } = trial;
    const { key, target } = step;
    const route = routeKey(target);
    try {
      const value = await this.tryTarget(walk, trial);
      record.outcome = 'success';
      this.options.regionHealth.markSuccess(route);
      return { value, key, spec: step.spec, target };
    } catch (error) {
      if (deadline.signal.aborted && !(deadline.signal.reason instanceof DeadlineExceededError)) {
        throw deadline.signal.reason; // the caller went away
      }
      const failure = classifyRetryError(error);
      progress.lastError = error;
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
        const kind = progress.lastKind;
        progress.lastKind = kind === 'no-target' || kind === failure.kind ? failure.kind : 'unavailable';
        this.options.logger.warn('model attempt failed', {
          requestId: call.requestId,
          model: key,
          region: target.region,
          code: failure.code,
        });
        if (!failure.failover) progress.skipModel = key;
      }
      // The calls this step made, even those that opened the breaker, are evidence about the route
      // — counted once per request, however many models of the ladder failed there.
      if (trial.failure && isRegionFailure(trial.failure) && !progress.failedRoutes.has(route)) {
        progress.failedRoutes.add(route);
        this.options.regionHealth.markFailure(route);
      }
      this.throwIfOutOfTime(deadline);
      return undefined;
    }
  }

  /** The step to probe among those skipped for a cooling route, if a probe is due. */
  private probeOf(cooling: readonly TargetStep[], skipModel: string | undefined): TargetStep | undefined {
    const candidates = cooling.filter((step) => step.key !== skipModel);
    const route = this.options.regionHealth.claimProbe(candidates.map((step) => routeKey(step.target)));
    return candidates.find((step) => routeKey(step.target) === route);
  }

  /**
   * Counts a failure at a target whose call already succeeded (a stream that broke after its first
   * token) against its breaker and, for a region failure, its route. The call's breaker permit
   * was settled at the first token, so this records a new failure, but never by taking a
   * half-open probe slot that no probe would use.
   */
  recordFailureAfterAnswer(target: InvocationTarget, failure: ModelErrorClass): void {
    const breaker = this.options.breakers.get(circuitKey(target.modelId, target.region));
    if (failure.countsAsFailure && breaker.state === 'closed') breaker.tryAcquire()?.fail();
    if (isRegionFailure(failure)) this.options.regionHealth.markFailure(routeKey(target));
  }

  /**
   * The ladder flattened into steps, in order: each model of the fallback ladder at each
   * configured target. Targets a model cannot use (no such profile, not on demand, outside the
   * allowed geographies) stay in the plan as skips, so the attempts read in the order of the ladder.
   */
  private plan(call: GatewayCall): Step[] {
    const { catalog, regionTargets, allowedGeographies } = this.options;
    const requested = call.request.geographies;
    // A guardrail lives in one region: a call it guards can be sent from there only.
    const guardrailRegion = this.guarded(call) ? guardrailRegionOf(this.options.guardrail) : undefined;
    return fallbackLadder(catalog, call.routing.model).flatMap((key) => {
      const spec = catalog.models[key];
      if (!spec) return [];
      const { usable, skipped } = invocationTargets(spec, regionTargets, allowedGeographies);
      return [
        ...usable.map(
          (target): Step =>
            // A request may narrow the deployment's data-residency policy, never widen it.
            requested && !isWithin(target.geography, requested)
              ? { key, spec, region: target.region, skip: 'geography' }
              : guardrailRegion !== undefined && target.region !== guardrailRegion
                ? { key, spec, region: target.region, skip: 'guardrail-region' }
                : { key, spec, region: target.region, target },
        ),
        ...skipped.map((target): Step => ({ key, spec, region: target.region, skip: target.reason })),
      ];
    });
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
  private tryTarget<T>(walk: LadderWalk<T>, trial: StepTrial): Promise<T> {
    const { call, deadline, operation } = walk;
    const { step, record, moreToTry } = trial;
    const { spec, target } = step;
    const modelRequest = this.modelRequest(call, spec, target);
    // A guardrail marks the new input as guarded content, which only Converse has.
    const runtime = this.options.runtimes(target.region, modelRequest.guardrail ? 'converse' : spec.api);
    const key = circuitKey(target.modelId, target.region);
    const breaker = this.options.breakers.get(key);
    return retry(
      async () => {
        const permit = breaker.tryAcquire();
        if (!permit) throw new CircuitOpenError(key, breaker.retryAfterMs());
        record.calls += 1;
        const remaining = deadline.remainingMs();
        const budget = Math.min(
          spec.timeoutMs,
          moreToTry ? Math.max(remaining * this.attemptShare, this.minAttemptMs) : remaining,
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
          if (failureClass.countsAsFailure) {
            permit.fail();
            trial.failure = failureClass;
          } else permit.release();
          throw failure;
        } finally {
          attempt.dispose();
        }
      },
      {
        deadline,
        clock: this.options.clock,
        minAttemptMs: this.minAttemptMs,
        ...(this.options.retry ? { policy: this.options.retry } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
      },
    );
  }

  /** Whether the guardrail, if any, applies to the call: it ends with a user's message. */
  private guarded(call: GatewayCall): boolean {
    return this.options.guardrail !== undefined && call.request.messages.at(-1)?.role === 'user';
  }

  private modelRequest(call: GatewayCall, spec: ModelSpec, target: InvocationTarget): ModelRequest {
    const { request } = call;
    return {
      modelId: target.modelId,
      ...(request.system !== undefined ? { system: request.system } : {}),
      messages: request.messages,
      maxTokens: Math.min(call.maxTokens, spec.maxTokens),
      temperature: request.temperature ?? spec.temperature,
      promptCache: this.promptCaching && spec.promptCaching && Boolean(request.system),
      ...(this.options.guardrail && this.guarded(call)
        ? {
            guardrail: this.options.guardrail,
            ...(request.callerInput ? { callerInput: request.callerInput } : {}),
          }
        : {}),
    };
  }
}

/** The region of a guardrail named by ARN; undefined for a bare id (valid wherever it was made). */
function guardrailRegionOf(guardrail: GuardrailRef | undefined): string | undefined {
  return guardrail?.id.startsWith('arn:') ? guardrail.id.split(':')[3] : undefined;
}
