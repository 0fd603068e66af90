// The public surface of @mangaassist/webhooks/sqs: the catalog enrichment queue on SQS.

export {
  createSqsClient,
  SqsCatalogEnrichmentQueue,
  type SqsCatalogEnrichmentQueueOptions,
} from './sqs-catalog-enrichment-queue.js';
