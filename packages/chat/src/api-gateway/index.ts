// The public surface of @mangaassist/chat/api-gateway.

export { ApiGatewayManagementPusher } from './api-gateway-management-pusher.js';
export {
  makeWebSocketConnectionHandler,
  makeWebSocketMessageHandler,
  type WebSocketConnectionHandlerOptions,
  type WebSocketMessageHandlerOptions,
  type WebSocketProxyHandler,
} from './api-gateway-websocket.js';
