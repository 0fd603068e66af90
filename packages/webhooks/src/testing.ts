// The public surface of @mangaassist/webhooks/testing: test doubles for the webhooks' ports.

export {
  type CatalogQueueBehaviour,
  recordingCatalogEnrichmentQueue,
} from './testing/catalog-enrichment-fixtures.js';
