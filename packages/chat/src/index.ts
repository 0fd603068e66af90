// The public surface of @mangaassist/chat.

export {
  type ChatAnswer,
  ChatService,
  type ChatServiceOptions,
  type ChatStreamEvent,
  type ChatTurn,
  SessionUnavailableError,
} from './chat-service.js';
export {
  type ChatConfig,
  chatConfigFromEnvironment,
  chatConfigSchema,
  chatEnvironmentFields,
} from './config/chat-config.js';
export {
  type ChatEndpointOptions,
  type ChatRequestOptions,
  makeChatEndpoint,
  makeChatRequestParser,
  type ParsedChatRequest,
  toChatResponse,
} from './endpoints/chat-endpoint.js';
export { type ChatStreamEndpointOptions, makeChatStreamEndpoint } from './endpoints/chat-stream-endpoint.js';
export { describeFailure, type Failure, failureResponse } from './endpoints/failure.js';
export { makeTaskEndpoint, type TaskEndpointOptions } from './endpoints/task-endpoint.js';
export { toUsageJson, type UsageJson } from './endpoints/usage-json.js';
export {
  type ChatGroundingOptions,
  catalogPromptBlock,
  type Grounding,
  groundingFor,
  toCitation,
} from './grounding/chat-grounding.js';
export { buildConversation, mangaAssistSystemPrompt, systemPromptFor } from './sessions/conversation.js';
export { MemorySessionStore } from './sessions/memory-session-store.js';
export { SessionConflictError } from './sessions/session-errors.js';
export type { SessionStore, SessionTurn } from './sessions/session-store.js';
export {
  type ClientMessageQueue,
  type FifoMessage,
  fifoMessageOf,
  type QueuedClientMessage,
  type ReadQueuedMessage,
  readQueuedMessage,
} from './websocket/client-message-queue.js';
export { ConnectionGoneError, type ConnectionPusher } from './websocket/connection-pusher.js';
export type { ConnectionRecord, ConnectionStore } from './websocket/connection-store.js';
export type { FrameLog } from './websocket/frame-log.js';
export { MemoryConnectionStore } from './websocket/memory-connection-store.js';
export { MemoryFrameLog, type MemoryFrameLogOptions } from './websocket/memory-frame-log.js';
export {
  frameLogKey,
  parseClientFrame,
  WebSocketChat,
  type WebSocketChatOptions,
  webSocketErrorCodes,
} from './websocket/websocket-chat.js';
export {
  type ConnectResult,
  WebSocketConnections,
  type WebSocketConnectionsOptions,
} from './websocket/websocket-connections.js';
