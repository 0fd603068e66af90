import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  awsClientOptions,
  emfWriter,
  type Logger,
  type MetricsSink,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import {
  type CreateGatewayOptions,
  createGateway,
  type GatewayDependencies,
} from '@mangaassist/fm-gateway/platform';
import type { TenantResolver } from '@mangaassist/http/api-gateway';
import { BudgetGuard, MemoryUsageLedger, type TenantDirectory } from '@mangaassist/tenants';
import { tenantDirectoryOf, tenantResolver } from '@mangaassist/tenants/platform';
import { RedisUsageLedger } from '@mangaassist/tenants/redis';
import { ChatService } from '../chat-service.js';
import type { ChatConfig } from '../config/chat-config.js';
import type { ChatGroundingOptions } from '../grounding/chat-grounding.js';
import type { SessionStore } from '../sessions/session-store.js';

export interface ChatCoreOptions extends Omit<CreateGatewayOptions, 'redis'> {
  /** The tenants; unset = `config.tenantsJson` (then no budgets when that is unset too). */
  readonly tenants?: TenantDirectory;
  /** Where the chat's own metrics go (input-safety signals). @default emfWriter() */
  readonly metrics?: MetricsSink;
  /** The store's catalog, for chat answers grounded in it. @default - none */
  readonly grounding?: ChatGroundingOptions;
}

export interface ChatPlatformOptions extends ChatCoreOptions {
  /**
   * A core shared with other doors of the same process (`pnpm dev` serves every door from one
   * gateway, cache and ledger, as one deployment shares Redis); the platform does not close it.
   * @default - a core of its own, from `config` and these options
   */
  readonly core?: ChatCore;
}

/** What every chat door shares: one Redis client, the gateway, the tenants and their budgets. */
export interface ChatCore extends GatewayDependencies {
  readonly redis?: RedisConnection;
  readonly tenants?: TenantDirectory;
  readonly budget?: BudgetGuard;
  readonly resolveTenant: TenantResolver;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** The store's catalog, for the chat doors' answers (not the task routes'). */
  readonly grounding?: ChatGroundingOptions;
  /** The DynamoDB document client, made on first call (for the tables the door uses). */
  documents(): DynamoDBDocumentClient;
}

/** The core of `options`, or a new one that the platform owns (its `close` closes it). */
export function coreOf(
  config: ChatConfig,
  options: ChatPlatformOptions,
): { core: ChatCore; close(): Promise<void> } {
  if (options.core) return { core: options.core, close: async () => {} };
  const core = createChatCore(config, options);
  return { core, close: () => core.close() };
}

/**
 * Builds what the chat doors share: one Redis client (cache, usage ledger, tickets, frames) when
 * `config.redisUrl` is set, the gateway on it, the tenants and their daily budgets, and a lazily
 * made DynamoDB document client. Redis connects at once (ready by the first request); the SDK
 * clients open their connections on first use.
 */
export function createChatCore(config: ChatConfig, options: ChatCoreOptions = {}): ChatCore {
  const logger = options.logger ?? silentLogger;
  const redis = config.redisUrl ? createRedisClient(config.redisUrl, { logger }) : undefined;
  const gateway = createGateway(config, { ...options, logger, ...(redis ? { redis } : {}) });
  const tenants = options.tenants ?? tenantDirectoryOf(config);
  const budget = tenants
    ? new BudgetGuard({
        ledger: redis ? new RedisUsageLedger(redis, { logger }) : new MemoryUsageLedger(),
        tenants,
        logger,
      })
    : undefined;
  let documents: DynamoDBDocumentClient | undefined;
  return {
    ...gateway,
    ...(redis ? { redis } : {}),
    ...(tenants ? { tenants } : {}),
    ...(budget ? { budget } : {}),
    resolveTenant: tenantResolver(tenants),
    logger,
    metrics: options.metrics ?? emfWriter(),
    ...(options.grounding ? { grounding: options.grounding } : {}),
    documents() {
      documents ??= createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, options));
      return documents;
    },
    async close() {
      await gateway.close();
      documents?.destroy();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The chat service of a door on `core`: its gateway, budgets, logger and metrics, and `sessions`;
 * `grounded` for a chat door, whose answers the core's catalog grounds (task routes are not).
 */
export function chatServiceOf(core: ChatCore, sessions?: SessionStore, grounded = false): ChatService {
  return new ChatService({
    gateway: core.gateway,
    ...(sessions ? { sessions } : {}),
    ...(grounded && core.grounding ? { grounding: core.grounding } : {}),
    ...(core.budget ? { budget: core.budget } : {}),
    logger: core.logger,
    metrics: core.metrics,
  });
}
