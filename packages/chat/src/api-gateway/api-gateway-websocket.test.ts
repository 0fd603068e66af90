import { recordingLogger } from '@mangaassist/commons/testing';
import type { QueuedClientMessage } from '@mangaassist/contracts';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ofType, RecordingPusher, sendMessage, webSocketHarness } from '../testing/websocket-fixtures.js';
import type { ClientMessageQueue } from '../websocket/client-message-queue.js';
import { makeWebSocketConnectionHandler, makeWebSocketRouteHandler } from './api-gateway-websocket.js';

/** An API Gateway WebSocket proxy event, as the integration delivers it. */
function webSocketEvent(
  routeKey: string,
  connectionId: string,
  extra: Partial<APIGatewayProxyWebsocketEventV2> = {},
): APIGatewayProxyWebsocketEventV2 {
  const eventType =
    routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  return {
    requestContext: {
      routeKey,
      eventType,
      messageId: 'msg-1',
      extendedRequestId: 'ext-1',
      requestTime: '01/Jan/2026:00:00:00 +0000',
      messageDirection: 'IN',
      stage: 'prod',
      connectedAt: 1_767_225_600_000,
      requestTimeEpoch: 1_767_225_600_000,
      requestId: 'req-1',
      domainName: 'abc123.execute-api.ap-northeast-1.amazonaws.com',
      connectionId,
      apiId: 'abc123',
    },
    isBase64Encoded: false,
    ...extra,
  };
}

describe('makeWebSocketConnectionHandler', () => {
  it('accepts $connect with a valid ?ticket= and records the connection', async () => {
    const { webSocket, tickets, connections } = webSocketHarness();
    const handler = makeWebSocketConnectionHandler(webSocket);
    const ticket = await tickets.issue('manga-store', 60);
    const result = await handler(webSocketEvent('$connect', 'c1=', { queryStringParameters: { ticket } }));
    expect(result).toEqual({ statusCode: 200 });
    expect(await connections.get('c1=')).toMatchObject({ tenantId: 'manga-store' });
  });

  it('refuses $connect without a ticket with 401 and with a spent ticket with 403', async () => {
    const { webSocket, tickets } = webSocketHarness();
    const handler = makeWebSocketConnectionHandler(webSocket);
    expect(await handler(webSocketEvent('$connect', 'c1='))).toEqual({ statusCode: 401 });
    const ticket = await tickets.issue('manga-store', 60);
    await handler(webSocketEvent('$connect', 'c2=', { queryStringParameters: { ticket } }));
    expect(await handler(webSocketEvent('$connect', 'c3=', { queryStringParameters: { ticket } }))).toEqual({
      statusCode: 403,
    });
  });

  it('deletes the connection on $disconnect', async () => {
    const { webSocket, connect, connections } = webSocketHarness();
    const connectionId = await connect();
    const result = await makeWebSocketConnectionHandler(webSocket)(
      webSocketEvent('$disconnect', connectionId),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(await connections.get(connectionId)).toBeUndefined();
  });

  it('answers 400 and logs a message route wired to it by mistake', async () => {
    const logger = recordingLogger();
    const { webSocket } = webSocketHarness();
    const result = await makeWebSocketConnectionHandler(webSocket, { logger })(
      webSocketEvent('sendMessage', 'c1='),
    );
    expect(result).toEqual({ statusCode: 400 });
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'error' }));
  });
});

/** A queue that records what it accepted, or refuses everything with `refuseWith`. */
class RecordingQueue implements ClientMessageQueue {
  readonly messages: QueuedClientMessage[] = [];
  refuseWith: Error | undefined;

  async enqueue(message: QueuedClientMessage): Promise<void> {
    if (this.refuseWith) throw this.refuseWith;
    this.messages.push(message);
  }
}

describe('makeWebSocketRouteHandler', () => {
  it('queues the frame with its connection, message id and arrival time, and answers 200', async () => {
    const queue = new RecordingQueue();
    const pusher = new RecordingPusher();
    const body = JSON.stringify(sendMessage('こんにちは'));
    const result = await makeWebSocketRouteHandler(queue, { pusher })(
      webSocketEvent('sendMessage', 'c1=', { body }),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(queue.messages).toEqual([
      { connection_id: 'c1=', message_id: 'msg-1', body, received_at: 1_767_225_600_000 },
    ]);
    expect(pusher.frames('c1=')).toEqual([]);
  });

  it('answers at once while the answer has not started: the route never waits for the stream', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    const queued: QueuedClientMessage[] = [];
    const queue: ClientMessageQueue = {
      enqueue: async (message) => {
        queued.push(message);
      },
    };
    await makeWebSocketRouteHandler(queue, { pusher })(
      webSocketEvent('sendMessage', connectionId, { body: JSON.stringify(sendMessage('hi')) }),
    );
    expect(pusher.frames(connectionId)).toEqual([]);
    // The worker's turn: the same message, handled later, streams the answer.
    await webSocket.message(connectionId, queued[0]?.body ?? '');
    expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(1);
  });

  it('decodes a base64 (binary) body as UTF-8', async () => {
    const queue = new RecordingQueue();
    const handler = makeWebSocketRouteHandler(queue, { pusher: new RecordingPusher() });
    const text = JSON.stringify(sendMessage('こんにちは'));
    await handler(
      webSocketEvent('$default', 'c1=', {
        body: Buffer.from(text, 'utf8').toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(queue.messages.map((message) => message.body)).toEqual([text]);
  });

  it.each([
    ['no body', undefined, 'not valid JSON'],
    ['not JSON', '{"action":', 'not valid JSON'],
    ['no client frame', '{"action":"dance"}', 'Invalid frame'],
    [
      'larger than any client frame',
      JSON.stringify(sendMessage('漫'.repeat(12_000))),
      'larger than 32768 bytes',
    ],
  ])('answers %s with invalid_frame at once, queueing nothing', async (_case, body, reason) => {
    const queue = new RecordingQueue();
    const pusher = new RecordingPusher();
    const result = await makeWebSocketRouteHandler(queue, { pusher })(
      webSocketEvent('$default', 'c1=', body === undefined ? {} : { body }),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(queue.messages).toEqual([]);
    expect(pusher.frames('c1=')).toEqual([
      { type: 'error', code: 'invalid_frame', message: expect.stringContaining(reason) },
    ]);
  });

  it('tells the client with message_not_queued, logged, when the queue refuses the message', async () => {
    const queue = new RecordingQueue();
    queue.refuseWith = new Error('ThrottlingException: Rate exceeded');
    const pusher = new RecordingPusher();
    const logger = recordingLogger();
    const result = await makeWebSocketRouteHandler(queue, { pusher, logger })(
      webSocketEvent('sendMessage', 'c1=', { body: JSON.stringify(sendMessage('hi')) }),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(pusher.frames('c1=')).toEqual([
      { type: 'error', code: 'message_not_queued', message: expect.stringContaining('send it again') },
    ]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('not queued'),
        fields: expect.objectContaining({ error: expect.stringContaining('Rate exceeded') }),
      }),
    );
  });

  it('still answers 200, logging it, when neither the queue nor the client can be reached', async () => {
    const queue = new RecordingQueue();
    queue.refuseWith = new Error('queue down');
    const pusher = new RecordingPusher();
    pusher.failWith = () => new Error('push refused');
    const logger = recordingLogger();
    const result = await makeWebSocketRouteHandler(queue, { pusher, logger })(
      webSocketEvent('sendMessage', 'c1=', { body: JSON.stringify(sendMessage('hi')) }),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ error: expect.stringContaining('push refused') }),
      }),
    );
  });
});
