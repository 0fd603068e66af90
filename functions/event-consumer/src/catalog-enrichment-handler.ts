/**
 * Trigger: the catalog enrichment queue (SQS FIFO, one message group per product, batch size 1,
 * partial batch responses), which the catalog webhook fills in catalog order
 * (`EVENT_CONSUMER=catalog-enrichment`). Asks the fast model for each new or changed item's
 * description and five tags and writes them to the products table; records a discontinued item
 * as such; the gateway's `InferenceCompleted` events are flushed after each message.
 * Failure and idempotency: each catalog update is enriched once per acceptance of its batch
 * (`catalog-enrichment:<batch>/<index>@<first seen>` in the consumed-events table), and ordered by
 * when its batch was first seen, then its index (never by when SQS received the message, which a
 * redrive changes); a transient failure is a batch item failure, received again
 * while its product's later updates wait, and after the queue's `maxReceiveCount` receives it
 * goes to the FIFO dead-letter queue; a permanent one is recorded and acknowledged.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createConsumerPlatform,
  createModelConsumerParts,
  eventConsumerEnvironmentFrom,
} from '@mangaassist/consumers/platform';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { makeCatalogEnrichmentHandler } from './catalog-enrichment.js';

const config = eventConsumerEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `event-consumer-${config.consumer}` });
const { model } = createModelConsumerParts(config, gatewayConfigFromEnvironment(process.env), { logger });

export const handler = makeCatalogEnrichmentHandler(createConsumerPlatform(config, { logger, model }));
