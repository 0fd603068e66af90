// The public surface of @mangaassist/fm-gateway.

export { responseCacheKey } from './cache/cache-key.js';
export { MemoryResponseCache } from './cache/memory-response-cache.js';
export type { CachedAnswer, CacheLookup, ResponseCache } from './cache/response-cache.js';
export type { Geography } from './catalog/geography.js';
export {
  defaultRegionTargets,
  invocationTargets,
  type RegionTarget,
  regionTargetsSchema,
} from './catalog/invocation-targets.js';
export {
  defaultModelCatalog,
  fallbackLadder,
  loadModelCatalog,
  type ModelAlias,
  type ModelCatalog,
  ModelCatalogError,
  type ModelSpec,
  modelNames,
  resolveModelKey,
} from './catalog/model-catalog.js';
export {
  type GatewayConfig,
  gatewayConfigFromEnvironment,
  gatewayConfigSchema,
  gatewayConfigShape,
  gatewayEnvironmentFields,
} from './config/gateway-config.js';
export { estimateCostUsd, formatUsd } from './cost/estimate-cost.js';
export { type EmbeddingCache, MemoryEmbeddingCache } from './embeddings/embedding-cache.js';
export {
  EmbeddingGateway,
  type EmbeddingGatewayOptions,
  type EmbeddingResult,
  EmbeddingUnavailableError,
} from './embeddings/embedding-gateway.js';
export { cohereEmbedMultilingualV3, type EmbeddingModelSpec } from './embeddings/embedding-model.js';
export type {
  EmbeddingPurpose,
  EmbeddingRuntime,
  EmbeddingRuntimeProvider,
} from './embeddings/embedding-runtime.js';
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
  AttemptTracer,
  GatewayCallOptions,
  GatewayRequest,
  GatewayResult,
  GatewayStreamEvent,
  ModelSelector,
  TracedAttempt,
} from './gateway/gateway-types.js';
export { CircuitBreakerRegistry, CircuitOpenError } from './resilience/circuit-breaker.js';
export { RegionHealth } from './resilience/region-health.js';
export {
  ModelRouter,
  type ModelRouterOptions,
  type RouteDecision,
  type RouteRequest,
  RoutingConfigError,
  UnknownModelError,
} from './routing/model-router.js';
export {
  classifyModelError,
  isThrottleCode,
  type ModelErrorClass,
  type ModelErrorKind,
} from './runtime/model-errors.js';
export type {
  CallerInput,
  ChatMessage,
  ChatRole,
  GuardrailRef,
  GuardrailVerdict,
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
export { inspectText, signalShadow, type TextSignal } from './text/inspect.js';
export { type ConsistentVerdict, parseModerationVerdict } from './text/moderation-verdict.js';
export { normalizeForCacheKey } from './text/normalize.js';
export { sanitizeForPrompt } from './text/sanitize.js';
export { type TextLimits, TextRejectedError, validateUserText } from './text/validate.js';
