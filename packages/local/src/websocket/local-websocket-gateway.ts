import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger, silentLogger } from '@mangaassist/commons';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalConnectionPusher } from './local-connection-pusher.js';
import { checkUpgradeRequest } from './upgrade-request.js';
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
  /**
   * A connection without a message either way for this long is closed (1001 `Going away`), as
   * API Gateway's idle connection timeout does. @default 600_000 (10 minutes)
   */
  readonly idleTimeoutMs?: number;
  /**
   * Every connection is closed (1001 `Going away`) this long after it opened, as API Gateway's
   * connection duration limit does. @default 7_200_000 (2 hours)
   */
  readonly maxConnectionMs?: number;
  /**
   * Each socket is pinged this often; one that has not answered the previous ping is terminated
   * (a half-open socket). @default 30_000
   */
  readonly pingIntervalMs?: number;
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

/** How API Gateway closes a connection at its idle timeout or its duration limit. */
const goingAway = { code: 1001, reason: 'Going away' } as const;

/** What closed a socket, when the gateway did: reported in its `$disconnect`. */
interface CloseCause {
  readonly code: number;
  readonly reason: string;
}

/**
 * Serves API Gateway's WebSocket API on a local HTTP server, for `pnpm dev`: on an upgrade at
 * `path` it builds the `$connect` event (query string, headers) and calls the deployed
 * connection handler — a non-2xx answer refuses the upgrade with that status, as API Gateway
 * does; each message becomes an event routed by its JSON `action` (else `$default`) for the
 * message handler; a closed socket becomes `$disconnect`. Handlers answer by pushing through
 * `pusher`, as they push through the management API when deployed. Messages over 128 KiB
 * close the connection (1009). Upgrades at other paths are left to other listeners, or refused
 * with 404 when there are none (400 for a request target that is not a URL).
 *
 * As API Gateway does, it closes a connection (1001 `Going away`, then `$disconnect`) after
 * `idleTimeoutMs` without a message either way and `maxConnectionMs` after it opened. A
 * malformed handshake is refused (400, 405) before `$connect`, so it never spends a ticket; an
 * upgrade that still fails after `$connect` accepted it gets its `$disconnect`. Sockets are
 * pinged every `pingIntervalMs`; one that misses a pong is terminated (`$disconnect`, 1006).
 *
 * @example
 * const pusher = new LocalConnectionPusher();
 * const webSocket = new WebSocketChat({ ...platform, pusher });
 * // The route queues each frame; the stream worker answers it (see createDevDoors).
 * const queue = { enqueue: async (message) => messageQueue.send(fifoMessageOf(message)) };
 * attachLocalWebSocketGateway(server, {
 *   path: '/ws',
 *   pusher,
 *   connectionHandler: makeWsConnectionHandler({ connections: webSocket, logger }),
 *   messageHandler: makeWsMessageHandler({ queue, pusher, logger }),
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
  const idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs ?? 600_000);
  const maxConnectionMs = positive('maxConnectionMs', options.maxConnectionMs ?? 7_200_000);
  const pingIntervalMs = positive('pingIntervalMs', options.pingIntervalMs ?? 30_000);
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const sockets = new Set<WebSocket>();
  const awaitingPong = new Set<WebSocket>();
  const running = new Set<Promise<unknown>>();
  let closing = false;

  // One ping round for every socket: a socket still waiting for the last round's pong is half-open.
  const heartbeat = setInterval(() => {
    for (const socket of sockets) {
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, pingIntervalMs);
  heartbeat.unref();

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
    const abandon = () =>
      track('$disconnect', () => options.connectionHandler(disconnectEvent(connection, 1006, 'Going away')));
    if (socket.destroyed) {
      // The client left while $connect ran: API Gateway would send $disconnect.
      await abandon();
      return;
    }
    let upgraded = false;
    let abandoned = false;
    webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      upgraded = true;
      if (abandoned) webSocket.terminate();
      else opened(connection, webSocket);
    });
    // `ws` answers a handshake it refuses (and calls back one it accepts) synchronously: a
    // connection $connect accepted that did not open gets its $disconnect.
    if (!upgraded) {
      abandoned = true;
      await abandon();
    }
  }

  function opened(connection: LocalConnection, webSocket: WebSocket): void {
    const { connectionId } = connection;
    let closedBy: CloseCause | undefined;
    const closeWith = (cause: CloseCause) => {
      closedBy ??= cause;
      webSocket.close(cause.code, cause.reason);
    };
    let lastActivity = Date.now();
    const touch = () => {
      lastActivity = Date.now();
    };
    let idleTimer: NodeJS.Timeout | undefined;
    const watchIdle = (delayMs: number) => {
      idleTimer = setTimeout(() => {
        const idleFor = Date.now() - lastActivity;
        if (idleFor >= idleTimeoutMs) closeWith(goingAway);
        else watchIdle(idleTimeoutMs - idleFor);
      }, delayMs);
    };
    watchIdle(idleTimeoutMs);
    const lifetimeTimer = setTimeout(() => closeWith(goingAway), maxConnectionMs);

    sockets.add(webSocket);
    pusher.register(connectionId, webSocket, touch);
    webSocket.on('pong', () => awaitingPong.delete(webSocket));
    webSocket.on('message', (data, isBinary) => {
      touch();
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
      clearTimeout(idleTimer);
      clearTimeout(lifetimeTimer);
      sockets.delete(webSocket);
      awaitingPong.delete(webSocket);
      pusher.unregister(connectionId);
      const cause = closedBy ?? { code, reason: reason.toString('utf8') };
      void track('$disconnect', () =>
        options.connectionHandler(disconnectEvent(connection, cause.code, cause.reason)),
      );
    });
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const soleListener = server.listenerCount('upgrade') === 1;
    // `URL.parse`, not `new URL`: a target such as `//[` must be refused, not thrown at the server.
    const url = URL.parse(request.url ?? '/', 'http://localhost');
    if (url === null || url.pathname !== options.path) {
      if (soleListener) refuse(socket, url === null ? 400 : 404);
      return;
    }
    socket.on('error', () => {}); // a client that resets mid-handshake must not crash the server
    const refusal = checkUpgradeRequest(request);
    if (refusal !== undefined) {
      refuse(socket, refusal.status, refusal.headers);
      return;
    }
    void accept(request, socket, head, url);
  };
  server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return sockets.size;
    },
    async close(drainMs = 5_000) {
      closing = true;
      clearInterval(heartbeat);
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

/** Answers the upgrade request with a plain HTTP status (and headers) and closes the socket. */
function refuse(socket: Duplex, status: number, headers: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed) return;
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${extra.join('')}Connection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`);
  return value;
}
