/**
 * Trigger: the recommendation state machine's Task states (Step Functions, synchronous Lambda
 * invocations), `step` in the input: plan, recommend-segment, summarize.
 * Reads the products table, asks the fast model through the gateway (one call per segment),
 * writes the recommendations table and publishes Recommendation.Generated (and the gateway's
 * InferenceCompleted). Failure semantics: errors are named for the state machine (ModelThrottled,
 * ModelUnavailable, UnusableRecommendations, StoreUnavailable, NoSegmentRecommended), which
 * retries, records a failed segment or fails the execution; every step may be retried (a list is
 * written only over an older one).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import {
  createRecommendationStepsPlatform,
  recommendationsConfigFromEnvironment,
} from '@mangaassist/recommendations/platform';
import { makeRecommendationStepsFunctionHandler } from './recommendations.js';

const logger = new Logger({ serviceName: 'recommendation-steps' });

export const handler = makeRecommendationStepsFunctionHandler(
  createRecommendationStepsPlatform(recommendationsConfigFromEnvironment(process.env), {
    gateway: gatewayConfigFromEnvironment(process.env),
    logger,
  }),
);
