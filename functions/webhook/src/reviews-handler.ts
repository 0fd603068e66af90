/**
 * Trigger: the `reviews` webhook's Lambda function URL (`WEBHOOK_SOURCE=reviews`), served at `/`
 * and `/webhooks/reviews`. As `handler.ts`, plus the FM gateway: each review's sentiment comes
 * from the fast model (fail-safe: `unknown` past its 1.5 s budget), and the gateway's
 * `InferenceCompleted` events are flushed before the response returns.
 * Failure semantics and idempotency: those of `handler.ts` (`reviews:{review_id}` exactly once).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import { createWebhookPlatform, webhookConfigFromEnvironment } from '@mangaassist/webhooks/platform';
import { makeWebhookHandler } from './webhook.js';

const config = webhookConfigFromEnvironment(process.env);
const logger = new Logger({ serviceName: `webhook-${config.source}` });
const { gateway } = createGateway(gatewayConfigFromEnvironment(process.env), { logger });

export const handler = makeWebhookHandler({
  source: config.source,
  ...createWebhookPlatform(config, { logger, gateway }),
});
