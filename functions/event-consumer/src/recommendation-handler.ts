/**
 * Trigger: the recommendation-regeneration schedule (`EVENT_CONSUMER=recommendation-regeneration`).
 * Asks the model for each segment's recommendations from the product catalog and publishes
 * `Recommendation.Generated`, and the gateway's `InferenceCompleted`, flushed after each event.
 * Failure and idempotency: those of `handler.ts`; a schedule tick is handled once.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createConsumerPlatform,
  eventConsumerEnvironmentFrom,
  requiredSetting,
} from '@mangaassist/consumers/platform';
import { createEventBridgePublisher } from '@mangaassist/events/eventbridge';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import { makeEventConsumerHandler } from './event-consumer.js';

const config = eventConsumerEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `event-consumer-${config.consumer}` });
const { publisher: events } = createEventBridgePublisher({
  eventBusName: requiredSetting(config, 'eventBusName'),
  ...(config.eventBridgeEndpoint ? { endpoint: config.eventBridgeEndpoint } : {}),
  logger,
});
const { gateway } = createGateway(gatewayConfigFromEnvironment(process.env), { logger, events });

export const handler = makeEventConsumerHandler({
  consumer: config.consumer,
  ...createConsumerPlatform(config, { logger, model: gateway, events }),
});
