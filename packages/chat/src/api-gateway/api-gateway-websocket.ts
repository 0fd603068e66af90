import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { websocketLimits } from '@mangaassist/contracts';
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { parseClientFrame } from '../websocket/client-frames.js';
import type { ClientMessageQueue } from '../websocket/client-message-queue.js';
import type { ConnectionPusher } from '../websocket/connection-pusher.js';
import type { WebSocketConnections } from '../websocket/websocket-connections.js';
import { webSocketErrorCodes } from '../websocket/websocket-error-codes.js';
import { errorFrame, serializeFrame } from '../websocket/websocket-frames.js';

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

export interface WebSocketRouteHandlerOptions {
  /** Tells a client whose message could not be queued (an `error` frame `message_not_queued`). */
  readonly pusher: ConnectionPusher;
  /** @default silentLogger */
  readonly logger?: Logger;
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
 * `$default`): queues the frame for the stream worker (`ClientMessageQueue`, FIFO per
 * connection) and answers 200 at once, so that no route integration outlives API Gateway's 29 s
 * however long the answer streams; the worker answers through the connection pusher. A base64
 * body (a binary frame) is decoded as UTF-8. A frame that is not a client frame of the contract
 * (too large, not JSON, invalid) is answered at once with an `error` frame `invalid_frame` and
 * never queued: it would only wait behind the connection's running answer for the same reply.
 *
 * A message the queue refused is not lost silently: it is logged and the client gets an `error`
 * frame `message_not_queued` (best effort) telling it to send the message again. The route
 * still answers 200: API Gateway would only turn a 500 into a frame outside the contract.
 */
export function makeWebSocketRouteHandler(
  queue: ClientMessageQueue,
  options: WebSocketRouteHandlerOptions,
): WebSocketProxyHandler {
  const logger = options.logger ?? silentLogger;
  const tell = async (connectionId: string, code: string, message: string) => {
    const frame = errorFrame(code, message, {}, websocketLimits.maxFrameBytes);
    await options.pusher.send(connectionId, serializeFrame(frame)).catch((pushError: unknown) => {
      logger.warn('client not told why its message was not queued', {
        connectionId,
        code,
        error: errorMessage(pushError),
      });
    });
  };
  return async (event) => {
    const { connectionId, messageId, requestTimeEpoch } = event.requestContext;
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    const parsed = parseClientFrame(body);
    if (!parsed.ok) {
      await tell(connectionId, webSocketErrorCodes.invalidFrame, parsed.message);
      return { statusCode: 200 };
    }
    try {
      await queue.enqueue({
        connection_id: connectionId,
        message_id: messageId,
        body,
        received_at: requestTimeEpoch,
      });
    } catch (error) {
      logger.error('WebSocket message not queued; the client is told to send it again', {
        connectionId,
        messageId,
        error: errorMessage(error),
      });
      await tell(
        connectionId,
        webSocketErrorCodes.messageNotQueued,
        'The message could not be accepted just now; send it again.',
      );
    }
    return { statusCode: 200 };
  };
}
