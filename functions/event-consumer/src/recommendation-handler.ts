/**
 * Trigger: the recommendation-regeneration schedule (`EVENT_CONSUMER=recommendation-regeneration`).
 * Asks the model for each segment's recommendations from the product catalog and publishes
 * `Recommendation.Generated`, and the gateway's `InferenceCompleted`, flushed after each event.
 * Failure and idempotency: those of `handler.ts`; a schedule tick is handled once.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createConsumerPlatform,
  createModelConsumerParts,
  eventConsumerEnvironmentFrom,
} from '@mangaassist/consumers/platform';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { makeEventConsumerHandler } from './event-consumer.js';

const config = eventConsumerEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `event-consumer-${config.consumer}` });
const { events, model } = createModelConsumerParts(config, gatewayConfigFromEnvironment(process.env), {
  logger,
});

export const handler = makeEventConsumerHandler({
  consumer: config.consumer,
  ...createConsumerPlatform(config, { logger, model, events }),
});
