/**
 * Trigger: the fm-trigger consumer's rule (`EVENT_CONSUMER=fm-trigger`): paid orders and submitted
 * reviews. Asks the model for order confirmations (sent with SES) and review moderation (never
 * fails open: an unreadable verdict holds the review), and publishes what follows
 * (`ModerationFlagged`, …) and the gateway's `InferenceCompleted`, flushed after each event.
 * (Catalog enrichment runs from its FIFO queue: `catalog-enrichment-handler.ts`.)
 * Failure and idempotency: those of `handler.ts`; at most one confirmation email per order.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createConsumerPlatform,
  createModelConsumerParts,
  eventConsumerEnvironmentFrom,
  requiredSetting,
} from '@mangaassist/consumers/platform';
import { createSesClient, SesEmailSender } from '@mangaassist/consumers/ses';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { makeEventConsumerHandler } from './event-consumer.js';

const config = eventConsumerEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `event-consumer-${config.consumer}` });
const { events, model } = createModelConsumerParts(config, gatewayConfigFromEnvironment(process.env), {
  logger,
});
const emails = new SesEmailSender(createSesClient(), { fromAddress: requiredSetting(config, 'senderEmail') });

export const handler = makeEventConsumerHandler({
  consumer: config.consumer,
  ...createConsumerPlatform(config, { logger, model, events, emails }),
});
