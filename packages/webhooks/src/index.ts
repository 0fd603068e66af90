// The public surface of @mangaassist/webhooks.

export {
  type CatalogEnrichmentFifoMessage,
  type CatalogEnrichmentQueue,
  catalogEnrichmentBatchBytes,
  catalogEnrichmentBatchLimit,
  catalogEnrichmentFifoMessage,
  catalogEnrichmentGroupId,
  isInvalidMessageError,
  type RefusedCatalogEnrichmentMessage,
} from './catalog-enrichment-queue.js';
export {
  type CatalogFirstSeenStore,
  IdempotencyCatalogFirstSeenStore,
  type IdempotencyCatalogFirstSeenStoreOptions,
} from './catalog-first-seen.js';
export {
  type CatalogBatch,
  CatalogEnrichmentQueueError,
  makeCatalogProcessor,
  notAttemptedErrorCode,
} from './processors/catalog-processor.js';
export { makeReviewProcessor, type ReviewPayload } from './processors/review-processor.js';
export {
  makeSentimentClassifier,
  parseSentiment,
  type Sentiment,
  type SentimentClassifier,
} from './processors/review-sentiment.js';
export { makeStripeProcessor, type StripeEvent } from './processors/stripe-processor.js';
export { EventContractError, webhookEvents } from './processors/webhook-events.js';
export { WebhookPayloadError } from './processors/webhook-payload-error.js';
export {
  type AcceptedSignature,
  type EventIdSelector,
  payloadEventId,
  signedDeliveryId,
} from './receiver/event-id.js';
export {
  makeWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverDependencies,
  type WebhookSourceConfig,
} from './receiver/webhook-receiver.js';
export { makeWebhookRouter, type WebhookRouterOptions } from './receiver/webhook-router.js';
export { generateDevWebhookSecrets } from './secrets/dev-webhook-secrets.js';
export { StaticWebhookSecrets } from './secrets/static-webhook-secrets.js';
export {
  parseWebhookSecrets,
  parseWebhookSecretsJson,
  servedWebhookSources,
  type WebhookSecretFormats,
} from './secrets/webhook-secrets-document.js';
export type { SignatureFailure, SignatureScheme, SignatureVerdict } from './signature-scheme.js';
export { createHmacSha256HexScheme } from './signatures/hmac-sha256-hex-scheme.js';
export {
  generateWebhookSecret,
  type SignatureSchemeName,
  signatureSchemeNames,
  signatureSchemes,
  signedWebhookHeaders,
} from './signatures/signature-schemes.js';
export { createStandardWebhooksScheme } from './signatures/standard-webhooks-scheme.js';
export { createStripeScheme } from './signatures/stripe-scheme.js';
export {
  makeSourceReceiver,
  makeWebhookReceivers,
  type WebhookDependencies,
  type WebhookProcessingDependencies,
  webhookSchemes,
} from './sources.js';
export type { WebhookContext, WebhookOutcome, WebhookProcessor } from './webhook-processor.js';
export { WebhookSecretError, type WebhookSecretProvider } from './webhook-secret-provider.js';
