import { activeTraceSink, startSubsegment } from '@mangaassist/commons/tracing';
import type { AttemptRecord, AttemptTracer } from '../gateway/gateway-types.js';

/** Bedrock's answers to a request it will never take: X-Ray's errors (4xx), not faults. */
const clientErrors = new Set([
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ModelNotReadyException',
]);

/**
 * The gateway's `AttemptTracer` as X-Ray subsegments of the invocation (`@mangaassist/commons/tracing`):
 * one per model target tried (`Bedrock <model>`), the parent of the Bedrock SDK calls made for
 * it, annotated with the annotations in scope (the ladder's tenant, fallback step and cache
 * outcome), the model, its Bedrock id, the region, the calls made and the outcome, an error or
 * throttle flagged as X-Ray shows them. Nothing is sent outside a sampled trace.
 */
export function xrayAttemptTracer(): AttemptTracer {
  return {
    start(started) {
      // Not a downstream node of its own: the SDK call it makes, nested in it, is the one.
      const subsegment = startSubsegment(`Bedrock ${started.model}`);
      if (subsegment === undefined) return { end: () => {} };
      return {
        within: (work) => subsegment.within(work),
        end(attempt: AttemptRecord) {
          subsegment.annotate({
            model: attempt.model,
            model_id: attempt.modelId,
            region: attempt.region,
            calls: attempt.calls,
            outcome: attempt.outcome,
            error: attempt.error,
            skipped_because: attempt.reason,
          });
          subsegment.end({ aws: { region: attempt.region }, ...failureFlags(attempt) });
        },
      };
    },
  };
}

/** As X-Ray reads them: a throttle is a 429, the caller's own mistake a 4xx, the rest faults. */
function failureFlags(attempt: AttemptRecord) {
  if (attempt.outcome !== 'failed') return {};
  if (attempt.error === 'ThrottlingException') return { error: true, throttle: true };
  if (attempt.error !== undefined && clientErrors.has(attempt.error)) return { error: true };
  return { fault: true };
}

/** `xrayAttemptTracer` where the process sends traces (Lambda with active tracing); else undefined. */
export function lambdaXrayAttemptTracer(): AttemptTracer | undefined {
  return activeTraceSink() === undefined ? undefined : xrayAttemptTracer();
}
