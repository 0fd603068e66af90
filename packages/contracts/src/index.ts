export {
  type ChatRequest,
  type ChatResponse,
  chatLimits,
  chatMessageSchema,
  chatResponseSchema,
  conversationIssues,
  type ErrorResponse,
  errorResponseSchema,
  makeChatRequestSchema,
  routingModes,
  sessionIdSchema,
  usageSchema,
} from './chat.js';
export {
  eventSources,
  type InferenceCompletedDetail,
  inferenceCompletedDetailSchema,
  inferenceCompletedEvent,
} from './events.js';
export { type JsonSchemaDraft4, toApiGatewaySchema } from './json-schema.js';
export { gatewayEnvironment } from './lambda-environment.js';
export { sseDeltaSchema, sseDone, sseErrorSchema, sseUsageSchema } from './sse.js';
export {
  connectionsTable,
  type KeyAttribute,
  sessionsTable,
  type TableSpec,
  tableName,
  tableSpecs,
  webhookIdempotencyTable,
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
  catalogBatchSchema,
  catalogItemSchema,
  catalogUpdateDetailSchema,
  catalogUpdateTypes,
  paymentCompletedDetailSchema,
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
  resumeSchema,
  type SendMessageFrame,
  type ServerFrame,
  sendMessageSchema,
  serverFrameSchema,
  websocketLimits,
  websocketSessionIdSchema,
} from './websocket.js';
