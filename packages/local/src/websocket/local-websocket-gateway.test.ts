import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionGoneError } from '@mangaassist/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LocalConnectionPusher } from './local-connection-pusher.js';
import { attachLocalWebSocketGateway, type LocalWebSocketGateway } from './local-websocket-gateway.js';

interface Harness {
  readonly url: string;
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
async function startGateway(connectStatus = 200): Promise<Harness> {
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  const events: APIGatewayProxyWebsocketEventV2[] = [];
  const pusher = new LocalConnectionPusher();
  const gateway = attachLocalWebSocketGateway(server, {
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
  return { url: `ws://127.0.0.1:${port}`, events, pusher, gateway };
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
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
});
