// The public surface of @mangaassist/core. Test doubles live in `@mangaassist/core/testing`,
// the catalog alone (for CDK at synth time) in `@mangaassist/core/catalog`.

export {
  type ApiGatewayHandlerOptions,
  makeApiGatewayHandler,
  type TenantResolver,
  tenantByKeyId,
  toHttpRequest,
  toProxyResult,
} from './adapters/api-gateway-http.js';
export { ApiGatewayManagementPusher } from './adapters/api-gateway-management-pusher.js';
export {
  makeWebSocketConnectionHandler,
  makeWebSocketMessageHandler,
  type WebSocketConnectionHandlerOptions,
  type WebSocketMessageHandlerOptions,
  type WebSocketProxyHandler,
} from './adapters/api-gateway-websocket.js';
export { BedrockConverseRuntime } from './adapters/bedrock-converse-runtime.js';
export { BedrockAnthropicInvokeRuntime } from './adapters/bedrock-invoke-runtime.js';
export { type BedrockClientOptions, createBedrockRuntimeClient } from './adapters/bedrock-runtime-client.js';
export {
  type CreateGatewayOptions,
  createGateway,
  type GatewayDependencies,
} from './adapters/create-gateway.js';
export { type CreatePlatformOptions, createPlatform, type Platform } from './adapters/create-platform.js';
// the colleague's, needed by handler.ts
export {
  DynamoDbAnalyticsStore,
  type DynamoDbAnalyticsStoreOptions,
} from './adapters/dynamodb-analytics-store.js';
export {
  DynamoDbConnectionStore,
  type DynamoDbConnectionStoreOptions,
} from './adapters/dynamodb-connection-store.js';
export { createDocumentClient, type DocumentClientOptions } from './adapters/dynamodb-document-client.js';
export {
  DynamoDbIdempotencyStore,
  type DynamoDbIdempotencyStoreOptions,
} from './adapters/dynamodb-idempotency-store.js';
export { DynamoDbProductCatalog } from './adapters/dynamodb-product-catalog.js';
export {
  DynamoDbProductStore,
  type DynamoDbProductStoreOptions,
} from './adapters/dynamodb-product-store.js';
export {
  DynamoDbReviewStore,
  type DynamoDbReviewStoreOptions,
} from './adapters/dynamodb-review-store.js';
export { DynamoDbSessionStore, type DynamoDbSessionStoreOptions } from './adapters/dynamodb-session-store.js';
export {
  EventBridgeEventPublisher,
  eventTruncationFields,
  putEventsEntrySize,
  putEventsLimits,
  truncatableEventFields,
} from './adapters/eventbridge-event-publisher.js';
export {
  type FunctionUrlHandler,
  type FunctionUrlHandlerOptions,
  functionUrlToHttpRequest,
  makeFunctionUrlHandler,
  toFunctionUrlResult,
} from './adapters/function-url-http.js';
export {
  type AwsLambdaStreamingRuntime,
  type HttpResponseMetadata,
  type LambdaResponseStream,
  lambdaStreamingRuntime,
  makeStreamingApiGatewayHandler,
  type StreamingApiGatewayHandlerOptions,
  type StreamingLambdaHandler,
} from './adapters/lambda-response-streaming.js';
export { RedisFrameLog, type RedisFrameLogOptions } from './adapters/redis-frame-log.js';
export { createRedisClient, RedisResponseCache } from './adapters/redis-response-cache.js';
export { RedisTicketStore } from './adapters/redis-ticket-store.js';
export { RedisUsageLedger } from './adapters/redis-usage-ledger.js';
export {
  createSecretsManagerClient,
  type SecretsManagerClientOptions,
  SecretsManagerWebhookSecrets,
  type SecretsManagerWebhookSecretsOptions,
} from './adapters/secrets-manager-webhook-secrets.js';
export {
  classifySendEmailFailure,
  createSesClient,
  idempotencyKeyHeader,
  type SendEmailFailure,
  type SesClientOptions,
  SesEmailSender,
  type SesEmailSenderOptions,
} from './adapters/ses-email-sender.js';
export {
  type ChatEndpointOptions,
  type ChatRequestOptions,
  makeChatEndpoint,
  makeChatRequestParser,
  type ParsedChatRequest,
  toChatResponse,
} from './api/chat-endpoint.js';
export {
  type ChatStreamEndpointOptions,
  makeChatStreamEndpoint,
  type StreamingHttpEndpoint,
  type StreamingResponse,
  sendWholeResponse,
  sseEvent,
  sseHeaders,
} from './api/chat-stream-endpoint.js';
export { describeFailure, type Failure, failureResponse } from './api/failure.js';
export {
  type ErrorIssue,
  errorResponse,
  type HttpEndpoint,
  type HttpRequest,
  type HttpResponse,
  jsonResponse,
} from './api/http.js';
export { type JsonBodyLimits, readJsonBody, toIssues } from './api/json-body.js';
export { makeTaskEndpoint, parseModerationVerdict, type TaskEndpointOptions } from './api/task-endpoint.js';
export { makeWsTicketEndpoint, type WsTicketEndpointOptions } from './api/ws-ticket-endpoint.js';
export { responseCacheKey } from './cache/cache-key.js';
export { MemoryResponseCache } from './cache/memory-response-cache.js';
export type { CachedAnswer, CacheLookup, ResponseCache } from './cache/response-cache.js';
export {
  defaultModelCatalog,
  defaultRegionTargets,
  fallbackLadder,
  type Geography,
  invocationTargets,
  loadModelCatalog,
  type ModelCatalog,
  ModelCatalogError,
  type ModelSpec,
  modelNames,
  type RegionTarget,
  resolveModelKey,
} from './catalog/index.js';
export {
  ChatService,
  type ChatServiceOptions,
  type ChatTurn,
  SessionUnavailableError,
} from './chat/chat-service.js';
export {
  ConfigurationError,
  type GatewayConfig,
  gatewayConfigFromEnvironment,
  gatewayConfigSchema,
} from './config/gateway-config.js';
export { inferenceMetricsNamespace, makeAnalyticsConsumer } from './consumers/analytics.js';
export {
  type AnalyticsStore,
  MemoryAnalyticsStore,
} from './consumers/analytics-store.js';
export { parseDescriptionAndTags, productTagCount } from './consumers/catalog-enrichment.js';
export {
  EmailOutcomeUnknownError,
  EmissionNotAllowedError,
  PermanentConsumerError,
  TransientConsumerError,
} from './consumers/consumer-errors.js';
export {
  type ConsumerModel,
  eventConsumersTenant,
  modelAnswer,
} from './consumers/consumer-model.js';
export {
  type ConsumerDependencies,
  type ConsumerFactory,
  consumerFactories,
  consumerFactory,
  registeredConsumers,
  requireDependency,
} from './consumers/consumer-registry.js';
export { EmailRejectedError, type EmailSender, type OutgoingEmail } from './consumers/email-sender.js';
export { makeEmbeddingRegenerationConsumer } from './consumers/embedding-regeneration.js';
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
} from './consumers/event-consumer.js';
export { type FmTriggerOptions, makeFmTriggerConsumer } from './consumers/fm-trigger.js';
export { makeInferencePostProcessor } from './consumers/inference-post-processor.js';
export { MemoryProductStore } from './consumers/memory-product-store.js';
export { MemoryReviewStore } from './consumers/memory-review-store.js';
export {
  hidingSeverities,
  type ModerationHandlerOptions,
  makeModerationHandlerConsumer,
} from './consumers/moderation-handler.js';
export {
  confirmationKey,
  formatAmount,
  type ReplayedConfirmationPolicy,
} from './consumers/order-confirmation.js';
export {
  type EmbeddingStatusStore,
  MemoryProductCatalog,
  type ProductCatalog,
  type ProductCatalogReader,
} from './consumers/product-catalog.js';
export type {
  ProductAiContent,
  ProductStore,
  ProductWriteResult,
  StoredProduct,
} from './consumers/product-store.js';
export { makeRecommendationRegenerationConsumer } from './consumers/recommendation-regeneration.js';
export {
  contentHash,
  contentPreview,
  type ModerationDecision,
  moderationDecision,
} from './consumers/review-moderation.js';
export type {
  ReviewHiding,
  ReviewModeration,
  ReviewStore,
  StoredReview,
} from './consumers/review-store.js';
export { estimateCostUsd, formatUsd } from './cost/estimate-cost.js';
export {
  type ChainDepthCheck,
  type ChainRefusalReason,
  nextChainDepth,
  withChainMetadata,
} from './events/chain-depth.js';
export type { PublishOptions } from './events/event-publisher.js';
export { type DomainEvent, EventPublishError, type EventPublisher } from './events/event-publisher.js';
export {
  type FitEventDetailOptions,
  type FittedEventDetail,
  fitEventDetail,
  maxPutEventsEntryBytes,
  putEventsEntryBytes,
  truncationMarker,
} from './events/event-truncation.js';
export {
  applyInputTransformer,
  compileEventPattern,
  type EventMatcher,
  type EventPattern,
  type InputTransformer,
  InvalidEventPatternError,
  InvalidInputTransformerError,
  matchesEventPattern,
  validateEventPattern,
  validateInputTransformer,
} from './events/patterns/index.js';
export { defaultDegradedAnswer, FmGateway, type FmGatewayOptions } from './gateway/fm-gateway.js';
export {
  AllModelsFailedError,
  GatewayError,
  GatewayTimeoutError,
  ModelRequestRejectedError,
  StreamInterruptedError,
} from './gateway/gateway-errors.js';
export type {
  AttemptRecord,
  GatewayCallOptions,
  GatewayRequest,
  GatewayResult,
  GatewayStreamEvent,
  ModelSelector,
} from './gateway/gateway-types.js';
export {
  discardMetrics,
  EmfFormatError,
  emfWriter,
  formatEmf,
  type MetricSet,
  type MetricsSink,
} from './observability/embedded-metrics.js';
export { consoleLogger, type Logger, silentLogger } from './observability/logger.js';
export { RateLimitedWarning } from './observability/rate-limited-warning.js';
export { CircuitBreakerRegistry, CircuitOpenError } from './resilience/circuit-breaker.js';
export { type Clock, type Random, systemClock } from './resilience/clock.js';
export { Deadline, DeadlineExceededError } from './resilience/deadline.js';
export { RegionHealth } from './resilience/region-health.js';
export {
  ModelRouter,
  type ModelRouterOptions,
  type RouteDecision,
  type RouteRequest,
  RoutingConfigError,
  UnknownModelError,
} from './routing/model-router.js';
export { classifyModelError, type ModelErrorClass, type ModelErrorKind } from './runtime/model-errors.js';
export type {
  ChatMessage,
  ModelApi,
  ModelOutput,
  ModelRequest,
  ModelRuntime,
  ModelRuntimeProvider,
  ModelStreamEvent,
  StopReason,
  TokenUsage,
} from './runtime/model-runtime.js';
export { buildConversation, mangaAssistSystemPrompt, systemPromptFor } from './sessions/conversation.js';
export { MemorySessionStore } from './sessions/memory-session-store.js';
export { SessionConflictError } from './sessions/session-errors.js';
export type { SessionStore, SessionTurn } from './sessions/session-store.js';
export { ConnectionGoneError, type ConnectionPusher } from './streaming/connection-pusher.js';
export type { ConnectionRecord, ConnectionStore } from './streaming/connection-store.js';
export type { FrameLog } from './streaming/frame-log.js';
export { MemoryConnectionStore } from './streaming/memory-connection-store.js';
export { MemoryFrameLog, type MemoryFrameLogOptions } from './streaming/memory-frame-log.js';
export {
  type ConnectResult,
  frameLogKey,
  parseClientFrame,
  WebSocketChat,
  type WebSocketChatOptions,
  webSocketErrorCodes,
} from './streaming/websocket-chat.js';
export { type BudgetDecision, BudgetExhaustedError, type TenantBudget } from './tenants/budget.js';
export { BudgetGuard, type BudgetGuardOptions } from './tenants/budget-guard.js';
export { devTenants } from './tenants/dev-tenants.js';
export { createLocalApiKeys, type LocalApiKey, type LocalApiKeys } from './tenants/local-api-keys.js';
export { MemoryTicketStore } from './tenants/memory-ticket-store.js';
export { MemoryUsageLedger } from './tenants/memory-usage-ledger.js';
export { TicketStoreUnavailableError, UsageLedgerUnavailableError } from './tenants/store-errors.js';
export { TenantConfigError, TenantDirectory } from './tenants/tenant-directory.js';
export type { TicketStore } from './tenants/ticket-store.js';
export type { DailyUsage, UsageLedger } from './tenants/usage-ledger.js';
export { estimateTokens } from './text/estimate-tokens.js';
export { normalizeForCacheKey } from './text/normalize.js';
export { sanitizeForPrompt } from './text/sanitize.js';
export { truncateUtf8, utf8ByteLength } from './text/utf8.js';
export { type TextLimits, TextRejectedError, validateUserText } from './text/validate.js';
export {
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
} from './webhooks/idempotency/memory-idempotency-store.js';
export type { ClaimResult, CompletionResult, IdempotencyStore } from './webhooks/idempotency-store.js';
export {
  type CatalogBatch,
  makeCatalogProcessor,
  notAttemptedErrorCode,
} from './webhooks/processors/catalog-processor.js';
export { makeReviewProcessor, type ReviewPayload } from './webhooks/processors/review-processor.js';
export {
  makeSentimentClassifier,
  parseSentiment,
  type Sentiment,
  type SentimentClassifier,
} from './webhooks/processors/review-sentiment.js';
export { makeStripeProcessor, type StripeEvent } from './webhooks/processors/stripe-processor.js';
export { EventContractError, webhookEvents } from './webhooks/processors/webhook-events.js';
export { WebhookPayloadError } from './webhooks/processors/webhook-payload-error.js';
export {
  type AcceptedSignature,
  type EventIdSelector,
  payloadEventId,
  signedDeliveryId,
} from './webhooks/receiver/event-id.js';
export {
  makeWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverDependencies,
  type WebhookSourceConfig,
} from './webhooks/receiver/webhook-receiver.js';
export { makeWebhookRouter, type WebhookRouterOptions } from './webhooks/receiver/webhook-router.js';
export { generateDevWebhookSecrets } from './webhooks/secrets/dev-webhook-secrets.js';
export { StaticWebhookSecrets } from './webhooks/secrets/static-webhook-secrets.js';
export {
  parseWebhookSecrets,
  parseWebhookSecretsJson,
  servedWebhookSources,
  type WebhookSecretFormats,
} from './webhooks/secrets/webhook-secrets-document.js';
export type { SignatureFailure, SignatureScheme, SignatureVerdict } from './webhooks/signature-scheme.js';
export { createHmacSha256HexScheme } from './webhooks/signatures/hmac-sha256-hex-scheme.js';
export {
  generateWebhookSecret,
  type SignatureSchemeName,
  signatureSchemeNames,
  signatureSchemes,
  signedWebhookHeaders,
} from './webhooks/signatures/signature-schemes.js';
export { createStandardWebhooksScheme } from './webhooks/signatures/standard-webhooks-scheme.js';
export { createStripeScheme } from './webhooks/signatures/stripe-scheme.js';
export type { WebhookContext, WebhookOutcome, WebhookProcessor } from './webhooks/webhook-processor.js';
export { WebhookSecretError, type WebhookSecretProvider } from './webhooks/webhook-secret-provider.js';
