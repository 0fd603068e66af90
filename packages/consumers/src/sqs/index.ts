// The public surface of @mangaassist/consumers/sqs: the queue consumers' event source mapping handlers.

export {
  type CatalogEnrichmentQueueHandler,
  type CatalogEnrichmentQueueHandlerOptions,
  makeCatalogEnrichmentQueueHandler,
} from './catalog-enrichment-queue-handler.js';
