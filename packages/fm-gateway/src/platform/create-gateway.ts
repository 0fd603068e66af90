import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { createRedisClient } from '@mangaassist/commons/redis';
import type { EventPublisher } from '@mangaassist/events';
import { createEventBridgePublisher } from '@mangaassist/events/eventbridge';
import type { Redis } from 'ioredis';
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

export interface CreateGatewayOptions {
  readonly logger?: Logger;
  /** Static credentials for a local endpoint; unset = the default provider chain. */
  readonly credentials?: BedrockClientOptions['credentials'];
  readonly transport?: BedrockClientOptions['transport'];
  /** A Redis client to share (the platform shares one); unset = one from `config.redisUrl`. */
  readonly redis?: Redis;
  /**
   * Where `InferenceCompleted` goes, when the door shares its publisher with the gateway.
   * @default - EventBridge `config.eventBusName` on a client of the gateway's own; none when unset
   */
  readonly events?: EventPublisher;
  /** Anything else of `FmGatewayOptions` to override (tests, benchmarks). */
  readonly gateway?: Partial<FmGatewayOptions>;
}

export interface GatewayDependencies {
  readonly gateway: FmGateway;
  readonly catalog: ModelCatalog;
  /** Closes Redis and the SDK clients' sockets (for servers and tests; Lambda never calls it). */
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
  // The gateway's own publisher: InferenceCompleted must never slow an answer, so its timeouts
  // are short; a publisher shared with the door (`options.events`) is used as it is.
  const owned =
    options.events === undefined && config.eventBusName
      ? createEventBridgePublisher({
          eventBusName: config.eventBusName,
          ...(config.eventBridgeEndpoint ? { endpoint: config.eventBridgeEndpoint } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          logger,
          connectionTimeoutMs: 500,
          requestTimeoutMs: 1_000,
        })
      : undefined;
  const events = options.events ?? owned?.publisher;
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
    ...options.gateway,
  });

  return {
    gateway,
    catalog,
    async close() {
      await gateway.flush();
      for (const client of clients.values()) client.destroy();
      owned?.close();
      if (redis && ownsRedis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
