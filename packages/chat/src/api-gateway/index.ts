// The public surface of @mangaassist/chat/api-gateway.

export { ApiGatewayManagementPusher } from './api-gateway-management-pusher.js';
export {
  makeWebSocketConnectionHandler,
  makeWebSocketRouteHandler,
  type WebSocketConnectionHandlerOptions,
  type WebSocketProxyHandler,
  type WebSocketRouteHandlerOptions,
} from './api-gateway-websocket.js';
