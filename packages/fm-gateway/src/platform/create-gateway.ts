import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { createRedisClient } from '@mangaassist/commons/redis';
import { EventBridgeEventPublisher } from '@mangaassist/events/eventbridge';
import { NodeHttpHandler } from '@smithy/node-http-handler';
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
  // The publisher retries failed entries itself; the SDK's own retries would only add latency.
  const eventBridge = config.eventBusName
    ? new EventBridgeClient({
        maxAttempts: 1,
        // A custom endpoint is the local bus, which accepts any region and static credentials.
        ...(config.eventBridgeEndpoint
          ? { endpoint: config.eventBridgeEndpoint, region: 'ap-northeast-1' }
          : {}),
        ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
        requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 1000 }),
      })
    : undefined;
  const events =
    eventBridge && config.eventBusName
      ? new EventBridgeEventPublisher(eventBridge, { eventBusName: config.eventBusName, logger })
      : undefined;
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
      eventBridge?.destroy();
      if (redis && ownsRedis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
