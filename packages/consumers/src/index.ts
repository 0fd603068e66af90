// The public surface of @mangaassist/consumers.

export { inferenceMetricsNamespace, makeAnalyticsConsumer } from './analytics.js';
export { analyticsExpiresAt } from './analytics-items.js';
export { type AnalyticsStore, MemoryAnalyticsStore } from './analytics-store.js';
export {
  type CatalogEnrichmentConsumerOptions,
  makeCatalogEnrichmentConsumer,
  parseDescriptionAndTags,
  productDescriptionPrompt,
  productTagCount,
} from './catalog-enrichment.js';
export { type CatalogEnrichmentReading, readCatalogEnrichmentMessage } from './catalog-enrichment-message.js';
export {
  EmailOutcomeUnknownError,
  EmissionNotAllowedError,
  PermanentConsumerError,
  TransientConsumerError,
} from './consumer-errors.js';
export { type ConsumerModel, eventConsumersTenant, modelAnswer } from './consumer-model.js';
export {
  type ConsumerDependencies,
  type ConsumerFactory,
  consumerFactories,
  consumerFactory,
  registeredConsumers,
  requireDependency,
} from './consumer-registry.js';
export { EmailRejectedError, type EmailSender, type OutgoingEmail } from './email-sender.js';
export { makeEmbeddingRegenerationConsumer } from './embedding-regeneration.js';
export {
  type BusEventEnvelope,
  busEventEnvelopeSchema,
  type ConsumeEvent,
  type ConsumerContext,
  type ConsumerFunction,
  type ConsumerOutcome,
  type ConsumerResult,
  consumerLimits,
  type DetailSchemaLookup,
  type EnvelopeReader,
  type EnvelopeReading,
  type EventConsumerOptions,
  makeEventConsumer,
  readEventBridgeEnvelope,
} from './event-consumer.js';
export { type FmTriggerOptions, makeFmTriggerConsumer } from './fm-trigger.js';
export { makeInferencePostProcessor } from './inference-post-processor.js';
export { MemoryProductStore } from './memory-product-store.js';
export { MemoryReviewStore } from './memory-review-store.js';
export {
  hidingSeverities,
  type ModerationHandlerOptions,
  makeModerationHandlerConsumer,
} from './moderation-handler.js';
export { confirmationKey, formatAmount, type ReplayedConfirmationPolicy } from './order-confirmation.js';
export {
  assertListLimit,
  type CatalogPage,
  type CatalogProduct,
  type EmbeddingStatusStore,
  MemoryProductCatalog,
  maxCatalogListLimit,
  type ProductCatalog,
  type ProductCatalogReader,
} from './product-catalog.js';
export {
  assertIsoTimestamp,
  holdsLaterUpdate,
  type ProductAiContent,
  type ProductDiscontinuation,
  type ProductStore,
  type ProductWriteResult,
  type StoredProduct,
} from './product-store.js';
export {
  contentHash,
  contentPreview,
  type ModerationDecision,
  moderationDecision,
} from './review-moderation.js';
export type { ReviewHiding, ReviewModeration, ReviewStore, StoredReview } from './review-store.js';
