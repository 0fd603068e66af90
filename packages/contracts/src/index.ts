// First: zod/mini's English messages, before any schema of this package can parse.
import './zod-locale.js';

export {
  type ChatRequest,
  type ChatResponse,
  chatLimits,
  chatMessageSchema,
  chatResponseSchema,
  conversationIssues,
  type ErrorResponse,
  errorResponseSchema,
  guardrailVerdictSchema,
  makeChatRequestSchema,
  routingModes,
  sessionIdSchema,
  usageSchema,
} from './chat.js';
export { type DeploymentStage, redisUrlSchema, stageSchema, stages } from './deployment.js';
export {
  consumerEmissions,
  defaultTargetRetry,
  type EventConsumer,
  type EventRule,
  type EventRuleTarget,
  eventConsumers,
  eventRule,
  eventRules,
  type InputTransformer,
  type TargetRetryPolicy,
} from './event-rules.js';
export {
  eventEnvelopeSchema,
  type RegistrySchema,
  registrySchemaName,
  registrySchemas,
} from './event-schemas.js';
export {
  type BusEventDefinition,
  type BusEventName,
  busEventDefinition,
  busEventSchema,
  busEvents,
  type ChainMetadata,
  chainMetadataSchema,
  eventChainLimits,
  eventSources,
  type InferenceCompletedDetail,
  inferenceCompletedDetailSchema,
  inferenceCompletedEvent,
  type MessageReceivedDetail,
  type ModerationFlaggedDetail,
  type ModerationSeverity,
  messageReceivedDetailSchema,
  moderationFlaggedDetailSchema,
  moderationSeverities,
  type ProcessingStage,
  processingStages,
  type RecommendationGeneratedDetail,
  recommendationGeneratedDetailSchema,
} from './events.js';
export { guardrailMessages } from './guardrail.js';
export { type JsonSchemaDraft4, toApiGatewaySchema } from './json-schema.js';
export { gatewayEnvironment } from './lambda-environment.js';
export { sseDeltaSchema, sseDone, sseErrorSchema, sseUsageSchema } from './sse.js';
export {
  connectionsTable,
  consumedEventsTable,
  inferenceAnalyticsTable,
  type KeyAttribute,
  productsTable,
  reviewsTable,
  sessionsTable,
  type TableSpec,
  tableName,
  tableSpecs,
  webhookIdempotencyTable,
  wsTicketsTable,
} from './tables.js';
export {
  type ModerationVerdict,
  moderationVerdictSchema,
  type TaskName,
  type TaskRequest,
  type TaskResponse,
  taskNames,
  taskRequestSchema,
  taskResponseSchema,
  taskRoutes,
} from './tasks.js';
export { type Tenant, tenantSchema } from './tenants.js';
export {
  type CatalogUpdateDetail,
  catalogBatchSchema,
  catalogItemSchema,
  catalogUpdateDetailSchema,
  catalogUpdateTypes,
  type PaymentCompletedDetail,
  paymentCompletedDetailSchema,
  type ReviewSubmittedDetail,
  reviewPayloadSchema,
  reviewSubmittedDetailSchema,
  sentiments,
  stripeCheckoutSessionSchema,
  stripeEventSchema,
  type WebhookSecrets,
  type WebhookSource,
  webhookLimits,
  webhookSecretsSchema,
  webhookSources,
} from './webhooks.js';
export {
  type ClientFrame,
  clearSessionSchema,
  clientFrameSchema,
  getHistorySchema,
  type QueuedClientMessage,
  queuedClientMessageSchema,
  resumeSchema,
  type SendMessageFrame,
  type ServerFrame,
  sendMessageSchema,
  serverFrameSchema,
  websocketLimits,
  websocketMessageQueueName,
  websocketSessionIdSchema,
} from './websocket.js';
