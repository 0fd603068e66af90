// The public surface of @mangaassist/core. Test doubles live in `@mangaassist/core/testing`,
// the catalog alone (for CDK at synth time) in `@mangaassist/core/catalog`.

export {
  type ApiGatewayHandlerOptions,
  makeApiGatewayHandler,
  toHttpRequest,
  toProxyResult,
} from './adapters/api-gateway-http.js';
export { BedrockConverseRuntime } from './adapters/bedrock-converse-runtime.js';
export { BedrockAnthropicInvokeRuntime } from './adapters/bedrock-invoke-runtime.js';
export { type BedrockClientOptions, createBedrockRuntimeClient } from './adapters/bedrock-runtime-client.js';
export {
  type CreateGatewayOptions,
  createGateway,
  type GatewayDependencies,
} from './adapters/create-gateway.js';
export { EventBridgeEventPublisher } from './adapters/eventbridge-event-publisher.js';
export { createRedisClient, RedisResponseCache } from './adapters/redis-response-cache.js';
export { type ChatEndpointOptions, makeChatEndpoint, toChatResponse } from './api/chat-endpoint.js';
export { gatewayErrorResponse } from './api/gateway-error-response.js';
export {
  type ErrorIssue,
  errorResponse,
  type HttpEndpoint,
  type HttpRequest,
  type HttpResponse,
  jsonResponse,
} from './api/http.js';
export { type JsonBodyLimits, readJsonBody, toIssues } from './api/json-body.js';

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
  ConfigurationError,
  type GatewayConfig,
  gatewayConfigFromEnvironment,
  gatewayConfigSchema,
} from './config/gateway-config.js';
export { estimateCostUsd, formatUsd } from './cost/estimate-cost.js';
export { type DomainEvent, EventPublishError, type EventPublisher } from './events/event-publisher.js';
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
export { consoleLogger, type Logger, silentLogger } from './observability/logger.js';
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
export { estimateTokens } from './text/estimate-tokens.js';
export { normalizeForCacheKey } from './text/normalize.js';
export { sanitizeForPrompt } from './text/sanitize.js';
export { truncateUtf8, utf8ByteLength } from './text/utf8.js';
export { type TextLimits, TextRejectedError, validateUserText } from './text/validate.js';
