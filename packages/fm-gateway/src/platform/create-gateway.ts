import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import { BatchingEventPublisher, type BatchingOptions, type EventPublisher } from '@mangaassist/events';
import { createEventBridgePublisher, type EventBridgeClientSettings } from '@mangaassist/events/eventbridge';
import { BedrockConverseRuntime } from '../bedrock/bedrock-converse-runtime.js';
import { BedrockAnthropicInvokeRuntime } from '../bedrock/bedrock-invoke-runtime.js';
import { type BedrockClientOptions, createBedrockRuntimeClient } from '../bedrock/bedrock-runtime-client.js';
import { MemoryResponseCache } from '../cache/memory-response-cache.js';
import type { ResponseCache } from '../cache/response-cache.js';
import { loadModelCatalog, type ModelCatalog } from '../catalog/model-catalog.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { FmGateway, type FmGatewayOptions } from '../gateway/fm-gateway.js';
import { RedisResponseCache } from '../redis/redis-response-cache.js';
import { ModelRouter } from '../routing/model-router.js';
import type { ModelApi, ModelRuntime } from '../runtime/model-runtime.js';
import { estimateTokens } from '../text/estimate-tokens.js';
import { lambdaXrayAttemptTracer } from '../xray/xray-attempt-tracer.js';

/**
 * The gateway's `InferenceCompleted` client: one attempt, 0.5 s to connect and 1 s per request,
 * and a request past its timeout is only warned about, not aborted — the event must never slow
 * an answer (the Lambda's flush bounds the wait), and an event the bus accepts late is never
 * resent as a duplicate under a new event id.
 */
export const gatewayEventBridgeSettings: EventBridgeClientSettings = Object.freeze({
  sdkMaxAttempts: 1,
  timeouts: Object.freeze({
    connectionTimeoutMs: 500,
    requestTimeoutMs: 1_000,
    throwOnRequestTimeout: false,
  }),
});

/** How long `close` waits for `InferenceCompleted` events still in flight. */
const closeFlushMs = 2_000;

export interface CreateGatewayOptions {
  readonly logger?: Logger;
  /** Static credentials for local endpoints; unset = the default provider chain. */
  readonly credentials?: BedrockClientOptions['credentials'];
  /**
   * Region of the EventBridge client (a local bus takes any); the Bedrock clients take their
   * target's region.
   * @default - the SDK's region chain (`AWS_REGION` in Lambda)
   */
  readonly region?: string;
  readonly transport?: BedrockClientOptions['transport'];
  /**
   * Pooled sockets per Bedrock client: every stream holds one for its whole answer, so a
   * long-running server of many streams needs more than a Lambda instance's one request.
   * @default 64
   */
  readonly maxSockets?: number;
  /** A Redis client to share (the platform shares one); unset = one from `config.redisUrl`. */
  readonly redis?: RedisConnection;
  /**
   * Where `InferenceCompleted` goes, when the door shares its publisher with the gateway.
   * @default - EventBridge `config.eventBusName` on a client of the gateway's own; none when unset
   */
  readonly events?: EventPublisher;
  /**
   * Gathers the `InferenceCompleted` events of many calls into one bus request (up to 10 events,
   * each waiting `lingerMs` at most): for a long-running server, where one PutEvents per call is
   * a good part of a call's work. A Lambda must not: it flushes before it freezes anyway.
   * @default - one request per call
   */
  readonly eventBatching?: BatchingOptions;
  /** Anything else of `FmGatewayOptions` to override (tests, benchmarks). */
  readonly gateway?: Partial<FmGatewayOptions>;
}

export interface GatewayDependencies {
  readonly gateway: FmGateway;
  readonly catalog: ModelCatalog;
  /**
   * Waits (2 s at most) for the `InferenceCompleted` events in flight, then closes Redis and the
   * SDK clients' sockets (for servers and tests; Lambda never calls it).
   */
  close(): Promise<void>;
}

/**
 * The composition root of the FM gateway: builds the catalog, one Bedrock client per region
 * (created on first use, then reused), the response cache (Redis when configured, else in
 * memory), the EventBridge publisher (when a bus is configured) and the router. Opens no
 * connection until the first request.
 */
export function createGateway(
  config: GatewayConfig,
  options: CreateGatewayOptions = {},
): GatewayDependencies {
  const logger = options.logger ?? silentLogger;
  const catalog = loadModelCatalog(config.modelCatalogJson);

  const clients = new Map<string, BedrockRuntimeClient>();
  const runtimes = new Map<string, ModelRuntime>();
  const clientFor = (region: string): BedrockRuntimeClient => {
    let client = clients.get(region);
    if (!client) {
      client = createBedrockRuntimeClient({
        region,
        ...(config.bedrockEndpoint ? { endpoint: config.bedrockEndpoint } : {}),
        ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
        ...(options.transport ? { transport: options.transport } : {}),
        ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
      });
      clients.set(region, client);
    }
    return client;
  };
  const runtimeFor = (region: string, api: ModelApi): ModelRuntime => {
    const key = `${region}/${api}`;
    let runtime = runtimes.get(key);
    if (!runtime) {
      const client = clientFor(region);
      runtime =
        api === 'converse'
          ? new BedrockConverseRuntime(client, region)
          : new BedrockAnthropicInvokeRuntime(client, region);
      runtimes.set(key, runtime);
    }
    return runtime;
  };

  const ownsRedis = !options.redis && config.redisUrl !== undefined;
  const redis =
    options.redis ?? (config.redisUrl ? createRedisClient(config.redisUrl, { logger }) : undefined);
  const cache: ResponseCache = redis
    ? new RedisResponseCache(redis, { ttlSeconds: config.responseCacheTtlSeconds, logger })
    : new MemoryResponseCache({ ttlSeconds: config.responseCacheTtlSeconds });
  const owned =
    options.events === undefined && config.eventBusName
      ? createEventBridgePublisher({
          eventBusName: config.eventBusName,
          client: gatewayEventBridgeSettings,
          ...(config.eventBridgeEndpoint ? { endpoint: config.eventBridgeEndpoint } : {}),
          ...(options.region ? { region: options.region } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          logger,
        })
      : undefined;
  const published = options.events ?? owned?.publisher;
  const events =
    published && options.eventBatching
      ? new BatchingEventPublisher(published, options.eventBatching)
      : published;
  const xrayTracer = lambdaXrayAttemptTracer();
  const router = new ModelRouter({ catalog, estimateTokens, experiments: config.routingExperiments });

  const gateway = new FmGateway({
    catalog,
    runtimes: runtimeFor,
    selectModel: (request) => router.route(request),
    regionTargets: config.regionTargets,
    ...(config.allowedGeographies ? { allowedGeographies: config.allowedGeographies } : {}),
    cache,
    ...(events ? { events } : {}),
    logger,
    defaultDeadlineMs: config.chatDeadlineMs,
    ...(config.guardrailId
      ? { guardrail: { id: config.guardrailId, version: config.guardrailVersion } }
      : {}),
    // In Lambda with active tracing, each model target tried is a subsegment of the invocation.
    ...(xrayTracer ? { attemptTracer: xrayTracer } : {}),
    ...options.gateway,
  });

  return {
    gateway,
    catalog,
    async close() {
      // Bounded: a stalled bus must not hold a server's shutdown; closing the client drops the event.
      await gateway.flush(closeFlushMs);
      for (const client of clients.values()) client.destroy();
      owned?.close();
      if (redis && ownsRedis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
