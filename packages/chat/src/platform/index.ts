// The composition roots of the chat doors: each builds only what its door calls.

export {
  type ChatCore,
  type ChatCoreOptions,
  type ChatPlatformOptions,
  coreOf,
  createChatCore,
} from './chat-core.js';
export {
  type ChatPlatform,
  createChatPlatform,
  createTaskPlatform,
  type SessionChatPlatform,
} from './chat-platform.js';
export {
  type ConnectionPlatform,
  type ConnectionPlatformOptions,
  createConnectionPlatform,
  createWebSocketPlatform,
  type WebSocketPlatform,
  type WebSocketPlatformOptions,
  type WebSocketStores,
} from './websocket-platform.js';
export {
  createWebSocketRoutePlatform,
  type WebSocketRoutePlatform,
  type WebSocketRoutePlatformOptions,
} from './websocket-route-platform.js';
