import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect as connectTcp, type Socket } from 'node:net';
import { ConnectionGoneError } from '@mangaassist/chat';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LocalConnectionPusher } from './local-connection-pusher.js';
import {
  attachLocalWebSocketGateway,
  type LocalWebSocketGateway,
  type LocalWebSocketGatewayOptions,
} from './local-websocket-gateway.js';

interface Harness {
  readonly url: string;
  readonly port: number;
  readonly events: APIGatewayProxyWebsocketEventV2[];
  readonly pusher: LocalConnectionPusher;
  readonly gateway: LocalWebSocketGateway;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A local gateway on a free port whose handlers record every event; `$connect` answers
 * `connectStatus`, and a message `{"action":"echo"}` is pushed back to its sender.
 */
async function startGateway(
  connectStatus = 200,
  limits: Partial<
    Pick<LocalWebSocketGatewayOptions, 'idleTimeoutMs' | 'maxConnectionMs' | 'pingIntervalMs'>
  > = {},
  pusher = new LocalConnectionPusher(),
): Promise<Harness> {
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  const events: APIGatewayProxyWebsocketEventV2[] = [];
  const gateway = attachLocalWebSocketGateway(server, {
    ...limits,
    path: '/ws',
    pusher,
    routes: ['echo', 'sendMessage'],
    connectionHandler: async (event): Promise<APIGatewayProxyResultV2> => {
      events.push(event);
      return { statusCode: event.requestContext.routeKey === '$connect' ? connectStatus : 200 };
    },
    messageHandler: async (event) => {
      events.push(event);
      if (event.requestContext.routeKey === 'echo') {
        await pusher.send(event.requestContext.connectionId, `echo:${event.body ?? ''}`);
      }
      return { statusCode: 200 };
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    await gateway.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `ws://127.0.0.1:${port}`, port, events, pusher, gateway };
}

async function open(url: string, options: { autoPong?: boolean } = {}): Promise<WebSocket> {
  const socket = new WebSocket(url, options);
  cleanups.push(async () => {
    socket.terminate();
  });
  await once(socket, 'open');
  return socket;
}

/** The HTTP status with which the server refused the upgrade. */
async function refusal(url: string): Promise<number | undefined> {
  const socket = new WebSocket(url);
  socket.on('error', () => {});
  const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode?: number }];
  socket.terminate();
  return response.statusCode;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A valid handshake's headers, with `overrides` (undefined removes one). */
function handshakeHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Sends an upgrade request by hand; resolves with the status of a refusal (or 101). */
async function upgradeStatus(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<number | undefined> {
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    path,
    method: options.method ?? 'GET',
    headers: options.headers ?? handshakeHeaders(),
  });
  request.end();
  const [response, socket] = (await Promise.race([once(request, 'response'), once(request, 'upgrade')])) as [
    IncomingMessage,
    Socket | undefined,
  ];
  socket?.destroy();
  response.resume();
  return response.statusCode;
}

/** A raw client that completes the handshake and then stops reading, as a stalled browser tab would. */
async function stalledClient(port: number): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1');
  cleanups.push(async () => {
    socket.destroy();
  });
  await once(socket, 'connect');
  const lines = Object.entries(handshakeHeaders()).map(([name, value]) => `${name}: ${value}`);
  socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  await once(socket, 'data');
  socket.pause();
  return socket;
}

const routeKeys = (events: readonly APIGatewayProxyWebsocketEventV2[]) =>
  events.map((event) => event.requestContext.routeKey);

describe('attachLocalWebSocketGateway', () => {
  it('sends $connect with the query string and accepts the connection on 200', async () => {
    const { url, events, gateway } = await startGateway();
    await open(`${url}/ws?ticket=abc`);
    const [connect] = events;
    expect(connect).toMatchObject({
      queryStringParameters: { ticket: 'abc' },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', stage: 'local' },
    });
    expect(connect?.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(gateway.connections).toBe(1);
  });

  it('refuses the upgrade with the status $connect answered, as API Gateway does', async () => {
    const { url, gateway } = await startGateway(403);
    expect(await refusal(`${url}/ws?ticket=used`)).toBe(403);
    expect(gateway.connections).toBe(0);
  });

  it('refuses an upgrade at another path with 404', async () => {
    const { url, events } = await startGateway();
    expect(await refusal(`${url}/elsewhere`)).toBe(404);
    expect(events).toEqual([]);
  });

  it('routes each message by its JSON action, else to $default, with the body as sent', async () => {
    const { url, events } = await startGateway();
    const socket = await open(`${url}/ws`);
    socket.send(JSON.stringify({ action: 'sendMessage', data: { message: 'こんにちは' } }));
    socket.send(JSON.stringify({ action: 'unknown' }));
    socket.send('not json');
    await until(() => events.length === 4);
    expect(routeKeys(events).slice(1).sort()).toEqual(['$default', '$default', 'sendMessage']);
    const message = events.find((event) => event.requestContext.routeKey === 'sendMessage');
    expect(message).toMatchObject({
      body: '{"action":"sendMessage","data":{"message":"こんにちは"}}',
      isBase64Encoded: false,
      requestContext: { eventType: 'MESSAGE', connectionId: events[0]?.requestContext.connectionId },
    });
  });

  it('delivers what a handler pushes through the pusher to that connection', async () => {
    const { url } = await startGateway();
    const socket = await open(`${url}/ws`);
    const received = once(socket, 'message');
    socket.send('{"action":"echo"}');
    const [data] = (await received) as [Buffer];
    expect(data.toString('utf8')).toBe('echo:{"action":"echo"}');
  });

  it('sends $disconnect when the client closes, after which pushes fail as gone', async () => {
    const { url, events, pusher } = await startGateway();
    const socket = await open(`${url}/ws`);
    const connectionId = events[0]?.requestContext.connectionId ?? '';
    socket.close(1000, 'bye');
    await until(() => events.length === 2);
    expect(events[1]?.requestContext).toMatchObject({ routeKey: '$disconnect', connectionId });
    await expect(pusher.send(connectionId, 'late')).rejects.toBeInstanceOf(ConnectionGoneError);
  });

  it('closes every connection, each with its $disconnect, when it closes', async () => {
    const { url, events, gateway } = await startGateway();
    const socket = await open(`${url}/ws`);
    const closed = once(socket, 'close');
    await gateway.close();
    await closed;
    expect(routeKeys(events)).toEqual(['$connect', '$disconnect']);
    expect(gateway.connections).toBe(0);
  });
});

describe('LocalConnectionPusher', () => {
  it('reports an unknown connection as gone', async () => {
    await expect(new LocalConnectionPusher().send('nobody=', 'x')).rejects.toBeInstanceOf(
      ConnectionGoneError,
    );
  });

  it('reports a client that stops reading as gone after stallTimeoutMs, and closes its socket', async () => {
    const { port, events, pusher } = await startGateway(
      200,
      {},
      new LocalConnectionPusher({ stallTimeoutMs: 200 }),
    );
    await stalledClient(port);
    await until(() => events.length === 1);
    const connectionId = events[0]?.requestContext.connectionId ?? '';
    const frame = 'x'.repeat(100_000);
    let outcome: unknown;
    for (let sent = 0; sent < 2_000 && outcome === undefined; sent++) {
      outcome = await pusher.send(connectionId, frame).then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(outcome).toBeInstanceOf(ConnectionGoneError);
    await until(() => routeKeys(events).includes('$disconnect'));
  });
});

describe('attachLocalWebSocketGateway limits, as API Gateway applies them', () => {
  it('closes a connection idle for idleTimeoutMs with 1001 Going away, and sends $disconnect', async () => {
    const { url, events } = await startGateway(200, { idleTimeoutMs: 100 });
    const socket = await open(`${url}/ws`);
    const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([1001, 'Going away']);
    await until(() => events.length === 2);
    expect(events[1]?.requestContext).toMatchObject({
      routeKey: '$disconnect',
      disconnectStatusCode: 1001,
      disconnectReason: 'Going away',
    });
  });

  it('counts messages either way as activity: a connection in use is not idle', async () => {
    const { url, events, pusher } = await startGateway(200, { idleTimeoutMs: 400 });
    const talking = await open(`${url}/ws`);
    const listening = await open(`${url}/ws`);
    await until(() => events.length === 2);
    const listeningId = events[1]?.requestContext.connectionId ?? '';
    for (let round = 0; round < 15; round++) {
      talking.send('{"action":"echo"}');
      await pusher.send(listeningId, 'news');
      await pause(40);
    }
    expect([talking.readyState, listening.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
  });

  it('closes a connection at maxConnectionMs even while it is in use, and sends $disconnect', async () => {
    const { url, events } = await startGateway(200, { maxConnectionMs: 150 });
    const socket = await open(`${url}/ws`);
    const closed = once(socket, 'close');
    const chatting = setInterval(() => socket.send('{"action":"echo"}'), 20);
    const [code] = (await closed) as [number];
    clearInterval(chatting);
    expect(code).toBe(1001);
    await until(() => routeKeys(events).includes('$disconnect'));
  });

  it('terminates a socket that does not answer pings, and sends $disconnect', async () => {
    const { url, events, gateway } = await startGateway(200, { pingIntervalMs: 30 });
    const socket = await open(`${url}/ws`, { autoPong: false });
    const [code] = (await once(socket, 'close')) as [number];
    expect(code).toBe(1006);
    await until(() => routeKeys(events).includes('$disconnect'));
    expect(gateway.connections).toBe(0);
  });

  it('keeps a socket that answers its pings', async () => {
    const { url, gateway } = await startGateway(200, { pingIntervalMs: 30 });
    const socket = await open(`${url}/ws`);
    let pings = 0;
    socket.on('ping', () => {
      pings += 1;
    });
    await until(() => pings >= 4);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(gateway.connections).toBe(1);
  });
});

describe('attachLocalWebSocketGateway handshakes', () => {
  it('refuses a malformed handshake before $connect, so that no ticket is spent', async () => {
    const { port, events } = await startGateway();
    expect(
      await upgradeStatus(port, '/ws', { headers: handshakeHeaders({ 'Sec-WebSocket-Key': 'short' }) }),
    ).toBe(400);
    expect(
      await upgradeStatus(port, '/ws', {
        headers: handshakeHeaders({ 'Sec-WebSocket-Key': Buffer.alloc(17).toString('base64') }),
      }),
    ).toBe(400);
    expect(
      await upgradeStatus(port, '/ws', { headers: handshakeHeaders({ 'Sec-WebSocket-Version': '8' }) }),
    ).toBe(400);
    expect(await upgradeStatus(port, '/ws', { headers: handshakeHeaders({ Upgrade: 'h2c' }) })).toBe(400);
    expect(await upgradeStatus(port, '/ws', { method: 'POST' })).toBe(405);
    expect(events).toEqual([]);
    expect(await upgradeStatus(port, '/ws')).toBe(101);
  });

  it('sends $disconnect when the upgrade fails after $connect accepted it', async () => {
    const { port, events, gateway } = await startGateway();
    const status = await upgradeStatus(port, '/ws', {
      headers: handshakeHeaders({ 'Sec-WebSocket-Protocol': 'chat, chat' }),
    });
    expect(status).toBe(400);
    await until(() => events.length === 2);
    expect(routeKeys(events)).toEqual(['$connect', '$disconnect']);
    expect(events[1]?.requestContext.connectionId).toBe(events[0]?.requestContext.connectionId);
    expect(gateway.connections).toBe(0);
  });

  it('refuses an upgrade whose request target is not a URL with 400, and keeps serving', async () => {
    const { port, url, events } = await startGateway();
    expect(await upgradeStatus(port, '//[')).toBe(400);
    expect(await upgradeStatus(port, '//')).toBe(400);
    expect(events).toEqual([]);
    await open(`${url}/ws`);
    expect(routeKeys(events)).toEqual(['$connect']);
  });
});
