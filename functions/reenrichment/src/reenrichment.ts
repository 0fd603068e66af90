import type { ReenrichmentStepsPlatform } from '@mangaassist/reenrichment/platform';

/** How long a step may wait for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 300;

/**
 * The re-enrichment's steps function (every Lambda Task state, by `step`) over its platform
 * (`createReenrichmentStepsPlatform`): the step's answer, after the gateway's events are out.
 */
export function makeReenrichmentStepsFunctionHandler({
  handler,
  flush,
}: Pick<ReenrichmentStepsPlatform, 'handler' | 'flush'>) {
  return async (event: unknown): Promise<unknown> => {
    try {
      return await handler(event);
    } finally {
      await flush(eventFlushMs);
    }
  };
}
