import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger, silentLogger } from '@mangaassist/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalConnectionPusher } from './local-connection-pusher.js';
import {
  connectEvent,
  describeConnection,
  disconnectEvent,
  type LocalConnection,
  messageEvent,
} from './websocket-events.js';

/** A WebSocket Lambda handler, as deployed. */
export type LocalWebSocketHandler = (
  event: APIGatewayProxyWebsocketEventV2,
) => Promise<APIGatewayProxyResultV2>;

export interface LocalWebSocketGatewayOptions {
  /** The path clients connect to (`ws://localhost:3000/ws`). */
  readonly path: string;
  /** The `$connect`/`$disconnect` handler, the same function the stack deploys. */
  readonly connectionHandler: LocalWebSocketHandler;
  /** The handler of every message route, the same function the stack deploys. */
  readonly messageHandler: LocalWebSocketHandler;
  /** Where the accepted sockets are registered; the same pusher the handlers' `WebSocketChat` sends with. */
  readonly pusher: LocalConnectionPusher;
  /** Route keys selected by `$request.body.action`; other messages go to `$default`. @default the chat's actions */
  readonly routes?: readonly string[];
  /** `requestContext.stage` of the events. @default 'local' */
  readonly stage?: string;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export interface LocalWebSocketGateway {
  /** Open connections. */
  readonly connections: number;
  /**
   * Stops accepting upgrades, closes every socket (each gets its `$disconnect`) and waits, at
   * most `drainMs`, for the handlers still running.
   */
  close(drainMs?: number): Promise<void>;
}

/** The routes of the deployed WebSocket API besides `$connect`, `$disconnect` and `$default`. */
export const chatRoutes = ['sendMessage', 'getHistory', 'clearSession', 'resume'] as const;

/** API Gateway's message payload limit (a message may span several 32 KB frames). */
const maxMessageBytes = 128 * 1024;

/**
 * Serves API Gateway's WebSocket API on a local HTTP server, for `pnpm dev`: on an upgrade at
 * `path` it builds the `$connect` event (query string, headers) and calls the deployed
 * connection handler — a non-2xx answer refuses the upgrade with that status, as API Gateway
 * does; each message becomes an event routed by its JSON `action` (else `$default`) for the
 * message handler; a closed socket becomes `$disconnect`. Handlers answer by pushing through
 * `pusher`, as they push through the management API when deployed. Messages over 128 KiB
 * close the connection (1009). Upgrades at other paths are left to other listeners, or refused
 * with 404 when there are none.
 *
 * @example
 * const pusher = new LocalConnectionPusher();
 * const webSocket = new WebSocketChat({ ...platform, pusher });
 * attachLocalWebSocketGateway(server, {
 *   path: '/ws',
 *   pusher,
 *   connectionHandler: makeWsConnectionHandler({ webSocket, logger }),
 *   messageHandler: makeWsMessageHandler({ webSocket, gateway }),
 * });
 */
export function attachLocalWebSocketGateway(
  server: Server,
  options: LocalWebSocketGatewayOptions,
): LocalWebSocketGateway {
  const logger = options.logger ?? silentLogger;
  const stage = options.stage ?? 'local';
  const routes: ReadonlySet<string> = new Set(options.routes ?? chatRoutes);
  const { pusher } = options;
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const sockets = new Set<WebSocket>();
  const running = new Set<Promise<unknown>>();
  let closing = false;

  /** Runs a handler call, logging a failure (API Gateway would answer 500 and carry on). */
  function track(route: string, call: () => Promise<APIGatewayProxyResultV2>): Promise<number> {
    const pending = call().then(statusOf, (error: unknown) => {
      logger.error('local WebSocket handler failed', {
        route,
        error: error instanceof Error ? error.stack : String(error),
      });
      return 500;
    });
    running.add(pending);
    void pending.finally(() => running.delete(pending));
    return pending;
  }

  async function accept(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const connection = describeConnection(request, stage);
    const status = await track('$connect', () => options.connectionHandler(connectEvent(connection, url)));
    if (status < 200 || status > 299 || closing) {
      refuse(socket, closing ? 503 : status);
      return;
    }
    if (socket.destroyed) {
      // The client left while $connect ran: API Gateway would send $disconnect.
      await track('$disconnect', () =>
        options.connectionHandler(disconnectEvent(connection, 1006, 'Going away')),
      );
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (webSocket) => opened(connection, webSocket));
  }

  function opened(connection: LocalConnection, webSocket: WebSocket): void {
    const { connectionId } = connection;
    sockets.add(webSocket);
    pusher.register(connectionId, webSocket);
    webSocket.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      void track('message', () => options.messageHandler(messageEvent(connection, bytes, isBinary, routes)));
    });
    webSocket.on('error', (error) => {
      logger.warn('local WebSocket error', { connectionId, error: error.message });
    });
    webSocket.once('close', (code, reason) => {
      sockets.delete(webSocket);
      pusher.unregister(connectionId);
      void track('$disconnect', () =>
        options.connectionHandler(disconnectEvent(connection, code, reason.toString('utf8'))),
      );
    });
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== options.path) {
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404);
      return;
    }
    socket.on('error', () => {}); // a client that resets mid-handshake must not crash the server
    void accept(request, socket, head, url);
  };
  server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return sockets.size;
    },
    async close(drainMs = 5_000) {
      closing = true;
      server.off('upgrade', onUpgrade);
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => webSockets.close(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

function statusOf(result: APIGatewayProxyResultV2): number {
  return typeof result === 'object' && result !== null ? (result.statusCode ?? 200) : 200;
}

/** Answers the upgrade request with a plain HTTP status and closes the socket. */
function refuse(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}
