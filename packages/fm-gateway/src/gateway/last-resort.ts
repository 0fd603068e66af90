// The last resort: what a call ends with when no model answered. A stale cached answer beats the
// degraded text, which beats an error; a timeout or a refused request stays a typed error. Kept
// apart so `complete` and a stream that failed before its first token end the same way.

import { type Clock, type Deadline, DeadlineExceededError, type Logger } from '@mangaassist/commons';
import { fallbackLadder, type ModelCatalog } from '../catalog/model-catalog.js';
import type { CachedAnswers } from './cached-answers.js';
import type { GatewayCall } from './gateway-call.js';
import { AllModelsFailedError, GatewayTimeoutError } from './gateway-errors.js';
import { resultFromCache, resultWithoutAnswer } from './gateway-result.js';
import type { GatewayResult } from './gateway-types.js';
import type { InferenceEventSink } from './inference-event-sink.js';

export interface LastResortOptions {
  /** Its fallback ladder says under which models a stale answer may be cached. */
  readonly catalog: ModelCatalog;
  readonly answers: CachedAnswers;
  /** Receives the event of a call that ends in an error. */
  readonly events: InferenceEventSink;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The degraded answer's text; `false` throws `AllModelsFailedError` instead. */
  readonly degradedAnswer: string | false;
}

/** Ends a call that no model answered, with a last-resort answer or the error the caller gets. */
export class LastResort {
  constructor(private readonly options: LastResortOptions) {}

  /**
   * After the ladder threw `error`: a stale answer cached under any model of the ladder (when all
   * models failed or the time ran out), else the degraded answer (when all models failed and it is
   * enabled). Both come back flagged `degraded` and unpublished: the caller publishes them like
   * any answer. Otherwise the failure is published and thrown: the caller's abort reason,
   * `GatewayTimeoutError` for a deadline, or the ladder's error itself.
   */
  async answer(
    call: GatewayCall,
    error: unknown,
    deadline: Deadline,
    callerSignal: AbortSignal | undefined,
  ): Promise<GatewayResult> {
    if (callerSignal?.aborted) throw callerSignal.reason;
    const { answers, catalog, clock } = this.options;
    if (error instanceof AllModelsFailedError || error instanceof DeadlineExceededError) {
      // One round trip's worth of waiting, whatever the ladder's length.
      const ladder = fallbackLadder(catalog, call.routing.model);
      const stale = (await Promise.all(ladder.map((model) => answers.lookup(call, model)))).find(Boolean);
      if (stale) return { ...resultFromCache(call, stale, clock), degraded: true };
    }
    const failure = this.failed(call, error, deadline);
    if (failure.degraded) {
      this.options.logger.error('no model could answer; serving the degraded answer', {
        requestId: call.requestId,
        attempts: call.attempts,
      });
      return failure.degraded; // published by the caller, like every answer
    }
    this.options.events.publish(call.request, failure.result, failure.status);
    throw failure.error;
  }

  /** What a failed call reports: its event, and either the degraded answer or the error to throw. */
  private failed(call: GatewayCall, error: unknown, deadline: Deadline) {
    const result = resultWithoutAnswer(call, this.options.clock);
    if (error instanceof DeadlineExceededError) {
      return {
        result,
        status: 'timeout' as const,
        error: new GatewayTimeoutError(deadline.budgetMs, call.attempts, error),
      };
    }
    const text = this.options.degradedAnswer;
    if (error instanceof AllModelsFailedError && text !== false) {
      return { result, status: 'error' as const, degraded: { ...result, text, degraded: true }, error };
    }
    return { result, status: 'error' as const, error };
  }
}
