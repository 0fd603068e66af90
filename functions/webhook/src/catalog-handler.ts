/**
 * Trigger: the `catalog` webhook's Lambda function URL (`WEBHOOK_SOURCE=catalog`), served at `/`
 * and `/webhooks/catalog`. As `handler.ts`, plus the catalog enrichment queue (SQS FIFO,
 * `CATALOG_ENRICHMENT_QUEUE_URL`): every item is published as `CatalogUpdate.*` and queued for
 * its enrichment, in the batch's order per product (one message group per product).
 * Failure semantics and idempotency: those of `handler.ts` (`catalog:{batch_id}` exactly once); a
 * failed delivery is processed again in full with the time its batch was first seen (recorded in
 * the idempotency table), so it sends the same messages, and the queue's content-based
 * deduplication and the enrichment's idempotency drop those queued the first time. Items the
 * queue refuses as invalid answer 422 (no retry can queue them); a throttled queue 503.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '@mangaassist/commons';
import { gatewayEnvironment } from '@mangaassist/contracts';
import { createWebhookPlatform, webhookConfigFromEnvironment } from '@mangaassist/webhooks/platform';
import { createSqsClient, SqsCatalogEnrichmentQueue } from '@mangaassist/webhooks/sqs';
import { makeWebhookHandler } from './webhook.js';

const config = webhookConfigFromEnvironment(process.env);
const logger = new Logger({ serviceName: `webhook-${config.source}` });
const queueUrl = config.catalogEnrichmentQueueUrl;
if (queueUrl === undefined) {
  throw new ConfigurationError(
    `${gatewayEnvironment.catalogEnrichmentQueueUrl} is required by the catalog webhook`,
  );
}
const catalogEnrichment = new SqsCatalogEnrichmentQueue(createSqsClient(), { queueUrl, logger });

export const handler = makeWebhookHandler({
  source: config.source,
  ...createWebhookPlatform(config, { logger, catalogEnrichment }),
});
