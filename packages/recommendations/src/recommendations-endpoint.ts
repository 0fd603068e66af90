import { type Logger, silentLogger } from '@mangaassist/commons';
import { recommendationRoutes, recommendationsQuerySchema } from '@mangaassist/contracts';
import { errorResponse, type HttpEndpoint, type HttpResponse, jsonResponse } from '@mangaassist/http';
import { defaultRecommendationSegments } from './recommendation-picks.js';
import { type RecommendationStore, RecommendationStoreUnavailableError } from './recommendation-store.js';

export interface RecommendationsEndpointOptions {
  readonly store: RecommendationStore;
  /** The segments the workflow makes lists for. @default the names of defaultRecommendationSegments */
  readonly segments?: readonly string[];
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** Lists change every 6 hours: a client may keep one for a minute. */
const cacheControl = 'private, max-age=60';

/**
 * `GET /v1/recommendations?segment=<segment>` → 200 the segment's list (`segment`, `product_ids`
 * best first, `model_id`, `generated_at`); without `segment` → 200 `{recommendations: [...]}`,
 * every segment that has a list. A segment that is not configured → 404 `unknown_segment` (the
 * message names the configured ones); a configured one without a list yet → 404
 * `recommendations_not_ready`. A malformed or repeated `segment`, or another parameter → 400
 * `validation_failed` with the issues; other methods → 405; the table unreachable → 503 with
 * `retry-after`. Lists are the catalog's, the same for every tenant.
 */
export function makeRecommendationsEndpoint(options: RecommendationsEndpointOptions): HttpEndpoint {
  const { store } = options;
  const segments = options.segments ?? Object.keys(defaultRecommendationSegments);
  const logger = options.logger ?? silentLogger;

  const routes = async ({ method, path, requestId, query = {} }: Parameters<HttpEndpoint>[0]) => {
    if (path !== recommendationRoutes.recommendations) {
      return errorResponse(404, requestId, 'not_found', `No route for ${method} ${path}.`);
    }
    if (method !== 'GET') {
      return errorResponse(405, requestId, 'method_not_allowed', `${method} is not allowed on ${path}.`, {
        headers: { allow: 'GET' },
      });
    }
    const repeated = Object.entries(query).find(([, values]) => values.length > 1);
    if (repeated !== undefined) {
      return invalidQuery(requestId, repeated[0], 'give this parameter once');
    }
    const parsed = recommendationsQuerySchema.safeParse(
      Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values[0]])),
    );
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      return invalidQuery(
        requestId,
        unknownKey ?? issue?.path.join('.') ?? 'segment',
        unknownKey === undefined ? (issue?.message ?? 'invalid') : 'unknown parameter; only segment is taken',
      );
    }
    const { segment } = parsed.data;
    if (segment === undefined) {
      return jsonResponse(
        200,
        requestId,
        // A segment no longer configured keeps its last list in the table, but is not served.
        { recommendations: (await store.list()).filter((list) => segments.includes(list.segment)) },
        { 'cache-control': cacheControl },
      );
    }
    if (!segments.includes(segment)) {
      return errorResponse(
        404,
        requestId,
        'unknown_segment',
        `There is no segment ${segment}; the segments are ${segments.join(', ')}.`,
      );
    }
    const list = await store.get(segment);
    return list === undefined
      ? errorResponse(
          404,
          requestId,
          'recommendations_not_ready',
          `No recommendations for ${segment} yet; they are regenerated every 6 hours.`,
        )
      : jsonResponse(200, requestId, list, { 'cache-control': cacheControl });
  };

  return async (request) => {
    try {
      return await routes(request);
    } catch (error) {
      if (error instanceof RecommendationStoreUnavailableError) {
        logger.error('recommendations: the store is unavailable', {
          requestId: request.requestId,
          error: error.message,
        });
        return errorResponse(
          503,
          request.requestId,
          'service_unavailable',
          'Recommendations are unavailable; retry shortly.',
          {
            headers: { 'retry-after': '5' },
          },
        );
      }
      logger.error('recommendations: the request failed', {
        requestId: request.requestId,
        error: error instanceof Error ? error.stack : String(error),
      });
      return errorResponse(500, request.requestId, 'internal_error', 'The request failed.');
    }
  };
}

function invalidQuery(requestId: string, path: string, message: string): HttpResponse {
  return errorResponse(400, requestId, 'validation_failed', 'The query does not match the schema.', {
    issues: [{ path, message }],
  });
}
