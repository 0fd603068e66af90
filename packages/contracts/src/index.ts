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
