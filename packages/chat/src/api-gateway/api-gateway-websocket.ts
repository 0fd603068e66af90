import { type Logger, silentLogger } from '@mangaassist/commons';
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { WebSocketChat } from '../websocket/websocket-chat.js';
import type { WebSocketConnections } from '../websocket/websocket-connections.js';

/**
 * An API Gateway WebSocket (Lambda proxy) handler. `$connect` events carry
 * `queryStringParameters` (and headers); message events carry the `body`; every event carries
 * `requestContext.routeKey` and `requestContext.connectionId`.
 */
export type WebSocketProxyHandler = (
  event: APIGatewayProxyWebsocketEventV2,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface WebSocketConnectionHandlerOptions {
  /** @default silentLogger */
  readonly logger?: Logger;
}

export interface WebSocketMessageHandlerOptions {
  /** Work that must finish before Lambda freezes the environment (e.g. flushing events). */
  readonly afterMessage?: () => Promise<void>;
}

/**
 * The `$connect` / `$disconnect` handler. `$connect` answers the status of `WebSocketConnections.connect`
 * (API Gateway refuses the upgrade on anything but 2xx): the ticket is `?ticket=` of the
 * connection URL. `$disconnect` always answers 200 (API Gateway ignores it; the client is gone).
 * Any other route is a misconfigured integration: 400, logged.
 */
export function makeWebSocketConnectionHandler(
  connections: Pick<WebSocketConnections, 'connect' | 'disconnect'>,
  options: WebSocketConnectionHandlerOptions = {},
): WebSocketProxyHandler {
  const logger = options.logger ?? silentLogger;
  return async (event) => {
    const { routeKey, connectionId } = event.requestContext;
    switch (routeKey) {
      case '$connect': {
        const ticket = event.queryStringParameters?.ticket;
        const { statusCode } = await connections.connect({
          connectionId,
          ...(ticket !== undefined ? { ticket } : {}),
        });
        return { statusCode };
      }
      case '$disconnect':
        await connections.disconnect(connectionId);
        return { statusCode: 200 };
      default:
        logger.error('connection handler received a message route; check the WebSocket API routes', {
          routeKey,
          connectionId,
        });
        return { statusCode: 400 };
    }
  };
}

/**
 * The handler of every message route (`sendMessage`, `getHistory`, `clearSession`, `resume`,
 * `$default`): hands the body to `WebSocketChat.message`, which answers through the connection
 * pusher, and returns 200 (no route response: the answers are pushed frames). A base64 body
 * (a binary frame) is decoded as UTF-8.
 */
export function makeWebSocketMessageHandler(
  chat: Pick<WebSocketChat, 'message'>,
  options: WebSocketMessageHandlerOptions = {},
): WebSocketProxyHandler {
  return async (event) => {
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    try {
      await chat.message(event.requestContext.connectionId, body);
    } finally {
      await options.afterMessage?.();
    }
    return { statusCode: 200 };
  };
}
