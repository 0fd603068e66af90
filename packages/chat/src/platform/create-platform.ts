import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { createRedisClient } from '@mangaassist/commons/redis';
import { ConfigurationError, type GatewayConfig } from '@mangaassist/fm-gateway';
import {
  type CreateGatewayOptions,
  createGateway,
  type GatewayDependencies,
} from '@mangaassist/fm-gateway/platform';
import { type TenantResolver, tenantByKeyId } from '@mangaassist/http/api-gateway';
import type { TicketStore } from '@mangaassist/tenants';
import { BudgetGuard, MemoryTicketStore, MemoryUsageLedger, TenantDirectory } from '@mangaassist/tenants';
import { RedisTicketStore, RedisUsageLedger } from '@mangaassist/tenants/redis';
import type { Redis } from 'ioredis';
import { ApiGatewayManagementPusher } from '../api-gateway/api-gateway-management-pusher.js';
import { ChatService } from '../chat-service.js';
import { DynamoDbConnectionStore } from '../dynamodb/dynamodb-connection-store.js';
import { DynamoDbSessionStore } from '../dynamodb/dynamodb-session-store.js';
import { RedisFrameLog } from '../redis/redis-frame-log.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { ConnectionPusher } from '../websocket/connection-pusher.js';
import type { ConnectionStore } from '../websocket/connection-store.js';
import type { FrameLog } from '../websocket/frame-log.js';
import { MemoryConnectionStore } from '../websocket/memory-connection-store.js';
import { MemoryFrameLog } from '../websocket/memory-frame-log.js';

export interface CreatePlatformOptions extends Omit<CreateGatewayOptions, 'redis'> {
  /** The tenants; unset = `config.tenantsJson` (then no budgets when that is unset too). */
  readonly tenants?: TenantDirectory;
  /** Where WebSocket frames go; unset = API Gateway's management API at `config.websocketCallbackUrl`. */
  readonly pusher?: ConnectionPusher;
}

/** Everything the chat doors (REST, SSE, WebSocket, tasks, tickets) are built from. */
export interface Platform extends GatewayDependencies {
  readonly chat: ChatService;
  readonly sessions: SessionStore;
  readonly connections: ConnectionStore;
  readonly frames: FrameLog;
  readonly tickets: TicketStore;
  readonly tenants?: TenantDirectory;
  /** API key id (from API Gateway) → tenant id. */
  readonly resolveTenant: TenantResolver;
  /** Undefined until a callback URL or a local pusher is configured. */
  readonly pusher?: ConnectionPusher;
  readonly logger: Logger;
}

/**
 * The composition root of every chat Lambda and of `pnpm dev`: one Redis client shared by the
 * response cache, the tenants' usage ledger, WebSocket tickets and resume frames; DynamoDB
 * session and connection stores when their tables are configured; the tenant budget; the chat
 * service. Stores fall back to process memory only where the configuration allows it (`dev`).
 * Opens no connection until first use.
 */
export function createPlatform(config: GatewayConfig, options: CreatePlatformOptions = {}): Platform {
  if (config.stage !== 'dev') {
    // Outside dev, a missing store would silently fall back to per-instance memory.
    const missing = (['redisUrl', 'sessionsTable', 'tenantsJson'] as const).filter(
      (field) => config[field] === undefined,
    );
    if (missing.length > 0) {
      throw new ConfigurationError(
        `the chat platform needs ${missing.join(', ')} when the stage is ${config.stage}`,
      );
    }
  }
  const logger = options.logger ?? silentLogger;
  const redis: Redis | undefined = config.redisUrl
    ? createRedisClient(config.redisUrl, { logger })
    : undefined;
  const dependencies = createGateway(config, { ...options, ...(redis ? { redis } : {}) });

  let documents: DynamoDBDocumentClient | undefined;
  const documentClient = () => {
    documents ??= createDocumentClient({
      // A custom endpoint is the embedded DynamoDB, which accepts any region.
      ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint, region: 'ap-northeast-1' } : {}),
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    });
    return documents;
  };
  const sessions: SessionStore = config.sessionsTable
    ? new DynamoDbSessionStore(documentClient(), { tableName: config.sessionsTable, logger })
    : new MemorySessionStore();
  const connections: ConnectionStore = config.connectionsTable
    ? new DynamoDbConnectionStore(documentClient(), { tableName: config.connectionsTable })
    : new MemoryConnectionStore();

  const tenants =
    options.tenants ?? (config.tenantsJson ? TenantDirectory.fromJson(config.tenantsJson) : undefined);
  const budget = tenants
    ? new BudgetGuard({
        ledger: redis ? new RedisUsageLedger(redis, { logger }) : new MemoryUsageLedger(),
        tenants,
        logger,
      })
    : undefined;
  const resolveTenant: TenantResolver = (apiKeyId) =>
    (apiKeyId !== undefined ? tenants?.tenantForApiKeyId(apiKeyId)?.id : undefined) ??
    tenantByKeyId(apiKeyId);

  const management = config.websocketCallbackUrl
    ? new ApiGatewayManagementApiClient({ endpoint: config.websocketCallbackUrl })
    : undefined;
  const pusher = options.pusher ?? (management ? new ApiGatewayManagementPusher(management) : undefined);

  return {
    ...dependencies,
    chat: new ChatService({ gateway: dependencies.gateway, sessions, ...(budget ? { budget } : {}), logger }),
    sessions,
    connections,
    frames: redis ? new RedisFrameLog(redis, { logger }) : new MemoryFrameLog(),
    tickets: redis ? new RedisTicketStore(redis, { logger }) : new MemoryTicketStore(),
    ...(tenants ? { tenants } : {}),
    resolveTenant,
    ...(pusher ? { pusher } : {}),
    logger,
    async close() {
      await dependencies.close();
      documents?.destroy();
      management?.destroy();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
