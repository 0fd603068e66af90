/**
 * Trigger: API Gateway REST `GET /v1/recommendations?segment=…` (API key required).
 * Reads the stored lists from the recommendations table; nothing else. Failure semantics: bad
 * queries 400, unknown or not-yet-generated segments 404, each with a JSON reason; the table
 * unreachable 503 with `retry-after`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createRecommendationsApiPlatform,
  recommendationsConfigFromEnvironment,
} from '@mangaassist/recommendations/platform';
import { makeRecommendationsApiHandler } from './recommendations.js';

const logger = new Logger({ serviceName: 'recommendations-api' });

export const handler = makeRecommendationsApiHandler(
  createRecommendationsApiPlatform(recommendationsConfigFromEnvironment(process.env), { logger }),
);
