import type { HttpEndpoint } from '@mangaassist/http';
import { makeApiGatewayHandler } from '@mangaassist/http/api-gateway';
import type { RecommendationStepsPlatform } from '@mangaassist/recommendations/platform';

/** `GET /v1/recommendations` over its platform (`createRecommendationsApiPlatform`). */
export function makeRecommendationsApiHandler({ endpoint }: { endpoint: HttpEndpoint }) {
  return makeApiGatewayHandler(endpoint);
}

/** How long a step may wait for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 300;

/**
 * The recommendation workflow's steps function (every Task state, by `step`) over its platform
 * (`createRecommendationStepsPlatform`): the step's answer, after the gateway's events are out.
 */
export function makeRecommendationStepsFunctionHandler({
  handler,
  flush,
}: Pick<RecommendationStepsPlatform, 'handler' | 'flush'>) {
  return async (event: unknown): Promise<unknown> => {
    try {
      return await handler(event);
    } finally {
      await flush(eventFlushMs);
    }
  };
}
