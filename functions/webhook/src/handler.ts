/**
 * Trigger: a Lambda function URL (auth NONE: the signature is the authentication), one function
 * per webhook source, which `WEBHOOK_SOURCE` names; served at `/` and `/webhooks/{source}`.
 * This entry serves the source that neither calls a model nor queues anything (stripe): it carries
 * no model or SQS client; `reviews-handler.ts` serves reviews with the gateway, and
 * `catalog-handler.ts` the catalog with its enrichment queue.
 * Verifies the signature over the raw body (timestamp within 300 s, past or future), validates
 * the payload, and processes each `source:event-id` exactly once (DynamoDB idempotency with an
 * expiring in-progress claim), publishing to EventBridge.
 * Failure semantics: bad input is a 4xx JSON error and publishes nothing; a duplicate answers
 * 200 `already_processed`; one in progress 409; a failed processing releases its claim and
 * answers 5xx, so the sender's retry is processed.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { createWebhookPlatform, webhookConfigFromEnvironment } from '@mangaassist/webhooks/platform';
import { makeWebhookHandler } from './webhook.js';

const config = webhookConfigFromEnvironment(process.env);
const logger = new Logger({ serviceName: `webhook-${config.source}` });

export const handler = makeWebhookHandler({
  source: config.source,
  ...createWebhookPlatform(config, { logger }),
});
