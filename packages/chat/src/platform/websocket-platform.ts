import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsClientSettings,
  awsClientOptions,
  type Logger,
  requireOutsideDev,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { createRedisClient } from '@mangaassist/commons/redis';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import type { FmGateway } from '@mangaassist/fm-gateway';
import type { TicketStore } from '@mangaassist/tenants';
import { ticketStoreFor } from '@mangaassist/tenants/platform';
import { ApiGatewayManagementPusher } from '../api-gateway/api-gateway-management-pusher.js';
import type { ChatConfig } from '../config/chat-config.js';
import { DynamoDbConnectionStore } from '../dynamodb/dynamodb-connection-store.js';
import { DynamoDbSessionStore } from '../dynamodb/dynamodb-session-store.js';
import { RedisFrameLog } from '../redis/redis-frame-log.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { ConnectionPusher } from '../websocket/connection-pusher.js';
import type { ConnectionStore } from '../websocket/connection-store.js';
import type { FrameLog } from '../websocket/frame-log.js';
import { MemoryConnectionStore } from '../websocket/memory-connection-store.js';
import { MemoryFrameLog } from '../websocket/memory-frame-log.js';
import { WebSocketChat } from '../websocket/websocket-chat.js';
import { WebSocketConnections } from '../websocket/websocket-connections.js';
import { type ChatPlatformOptions, chatServiceOf, coreOf } from './chat-core.js';
import { websocketCallbackUrl } from './websocket-route-platform.js';

/** Stores the WebSocket doors share with each other (and, for tickets, with the ticket door). */
export interface WebSocketStores {
  /**
   * The ticket store `POST /v1/ws-tickets` issues into.
   * @default - Redis at `config.redisUrl` falling back to `config.ticketsTable`, else process memory
   */
  readonly tickets?: TicketStore;
  /**
   * Open connections.
   * @default - DynamoDB `config.connectionsTable`, else process memory
   */
  readonly connections?: ConnectionStore;
}

export interface WebSocketPlatformOptions extends ChatPlatformOptions, WebSocketStores {
  /**
   * Where frames go.
   * @default - API Gateway's management API at `config.websocketCallbackUrl` (required then)
   */
  readonly pusher?: ConnectionPusher;
  /**
   * Recent stream frames for `resume`.
   * @default - Redis at `config.redisUrl`, else process memory
   */
  readonly frames?: FrameLog;
}

/** What the WebSocket message routes are built from. */
export interface WebSocketPlatform {
  readonly webSocket: WebSocketChat;
  /** Its `InferenceCompleted` events are flushed after each message. */
  readonly gateway: FmGateway;
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * The composition root of the WebSocket message routes (`sendMessage`, `getHistory`,
 * `clearSession`, `resume`): the chat (gateway, budgets, sessions), the connection store, the
 * frame log and tickets on the shared Redis, and the management API pusher. Outside `dev` it
 * requires `redisUrl`, `sessionsTable`, `connectionsTable` and `tenantsJson`; without a pusher it
 * requires `websocketCallbackUrl` (`ConfigurationError`).
 */
export function createWebSocketPlatform(
  config: ChatConfig,
  options: WebSocketPlatformOptions = {},
): WebSocketPlatform {
  requireOutsideDev(
    config,
    ['redisUrl', 'sessionsTable', 'connectionsTable', 'tenantsJson'],
    'the WebSocket message routes',
  );
  const management =
    options.pusher === undefined
      ? traceAwsClient(new ApiGatewayManagementApiClient({ endpoint: websocketCallbackUrl(config) }))
      : undefined;
  const { core, close } = coreOf(config, options);
  const { logger, redis } = core;
  const sessions = config.sessionsTable
    ? new DynamoDbSessionStore(core.documents(), { tableName: config.sessionsTable, logger })
    : new MemorySessionStore();
  const tickets = options.tickets
    ? { tickets: options.tickets, close: () => {} }
    : ticketStoreFor(config, redis, { ...options, logger });
  const webSocket = new WebSocketChat({
    chat: chatServiceOf(core, sessions, true),
    connections: options.connections ?? connectionStoreOf(config, core.documents),
    pusher: options.pusher ?? new ApiGatewayManagementPusher(management as ApiGatewayManagementApiClient),
    frames: options.frames ?? (redis ? new RedisFrameLog(redis, { logger }) : new MemoryFrameLog()),
    tickets: tickets.tickets,
    firstTokenDeadlineMs: config.chatDeadlineMs,
    logger,
  });
  return {
    webSocket,
    gateway: core.gateway,
    logger,
    async close() {
      await close();
      tickets.close();
      management?.destroy();
    },
  };
}

export interface ConnectionPlatformOptions extends WebSocketStores, AwsClientSettings {
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** What `$connect` / `$disconnect` are built from. */
export interface ConnectionPlatform {
  readonly connections: WebSocketConnections;
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * The composition root of `$connect` / `$disconnect`: the ticket store (Redis, falling back to
 * the tickets table while Redis is down) and the connection store (DynamoDB), nothing else — no
 * model, no sessions. Outside `dev` it requires `redisUrl` and `connectionsTable`
 * (`ConfigurationError`).
 */
export function createConnectionPlatform(
  config: ChatConfig,
  options: ConnectionPlatformOptions = {},
): ConnectionPlatform {
  requireOutsideDev(config, ['redisUrl', 'connectionsTable'], 'the WebSocket connection routes');
  const logger = options.logger ?? silentLogger;
  const redis =
    options.tickets === undefined && config.redisUrl
      ? createRedisClient(config.redisUrl, { logger })
      : undefined;
  let documents: DynamoDBDocumentClient | undefined;
  const documentClient = () => {
    documents ??= createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, options));
    return documents;
  };
  const tickets = options.tickets
    ? { tickets: options.tickets, close: () => {} }
    : ticketStoreFor(config, redis, { ...options, logger });
  return {
    connections: new WebSocketConnections({
      tickets: tickets.tickets,
      connections: options.connections ?? connectionStoreOf(config, documentClient),
      logger,
    }),
    logger,
    async close() {
      tickets.close();
      documents?.destroy();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function connectionStoreOf(config: ChatConfig, documents: () => DynamoDBDocumentClient): ConnectionStore {
  return config.connectionsTable
    ? new DynamoDbConnectionStore(documents(), { tableName: config.connectionsTable })
    : new MemoryConnectionStore();
}
