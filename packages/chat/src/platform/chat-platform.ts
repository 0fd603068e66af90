import { type Logger, requireOutsideDev } from '@mangaassist/commons';
import type { FmGateway, ModelCatalog } from '@mangaassist/fm-gateway';
import type { TenantResolver } from '@mangaassist/http/api-gateway';
import type { ChatService } from '../chat-service.js';
import type { ChatConfig } from '../config/chat-config.js';
import { DynamoDbSessionStore } from '../dynamodb/dynamodb-session-store.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import { type ChatPlatformOptions, chatServiceOf, coreOf } from './chat-core.js';

/** What `POST /v1/chat`, `POST /v1/chat/stream` and the task routes are built from. */
export interface ChatPlatform {
  readonly chat: ChatService;
  /** Its `InferenceCompleted` events are flushed before a response ends. */
  readonly gateway: FmGateway;
  /** The models a request may name. */
  readonly catalog: ModelCatalog;
  /** Budget of one answer (a stream's first token), `config.chatDeadlineMs`. */
  readonly deadlineMs: number;
  /** API key id (from API Gateway) → tenant id. */
  readonly resolveTenant: TenantResolver;
  readonly logger: Logger;
  /** Closes Redis and the SDK clients' sockets (servers and tests; Lambda never calls it). */
  close(): Promise<void>;
}

/** The chat platform with its session store (the REST and SSE chat doors keep conversations). */
export interface SessionChatPlatform extends ChatPlatform {
  readonly sessions: SessionStore;
}

/**
 * The composition root of `POST /v1/chat` and `POST /v1/chat/stream`: the gateway (Bedrock,
 * response cache, InferenceCompleted), the tenants' budgets, and the session store (DynamoDB
 * when `sessionsTable` is set, else process memory). Outside `dev` it requires `redisUrl`,
 * `sessionsTable` and `tenantsJson` (`ConfigurationError`). Redis connects at once; the SDK
 * clients on first use.
 *
 * @example
 * export const handler = makeChatSyncHandler(createChatPlatform(chatConfigFromEnvironment(process.env), { logger }));
 */
export function createChatPlatform(
  config: ChatConfig,
  options: ChatPlatformOptions = {},
): SessionChatPlatform {
  requireOutsideDev(config, ['redisUrl', 'sessionsTable', 'tenantsJson'], 'the chat platform');
  const { core, close } = coreOf(config, options);
  const sessions: SessionStore = config.sessionsTable
    ? new DynamoDbSessionStore(core.documents(), { tableName: config.sessionsTable, logger: core.logger })
    : new MemorySessionStore();
  return {
    chat: chatServiceOf(core, sessions, true),
    sessions,
    gateway: core.gateway,
    catalog: core.catalog,
    deadlineMs: config.chatDeadlineMs,
    resolveTenant: core.resolveTenant,
    logger: core.logger,
    close,
  };
}

/**
 * The composition root of the task routes (`POST /v1/moderate | summarize | analyze`): the
 * gateway and the tenants' budgets, no session store (tasks are stateless). Outside `dev` it
 * requires `redisUrl` and `tenantsJson` (`ConfigurationError`).
 */
export function createTaskPlatform(config: ChatConfig, options: ChatPlatformOptions = {}): ChatPlatform {
  requireOutsideDev(config, ['redisUrl', 'tenantsJson'], 'the task platform');
  const { core, close } = coreOf(config, options);
  return {
    chat: chatServiceOf(core),
    gateway: core.gateway,
    catalog: core.catalog,
    deadlineMs: config.chatDeadlineMs,
    resolveTenant: core.resolveTenant,
    logger: core.logger,
    close,
  };
}
