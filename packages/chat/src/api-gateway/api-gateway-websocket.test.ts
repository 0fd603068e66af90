import { recordingLogger } from '@mangaassist/commons/testing';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ofType, sendMessage, webSocketHarness } from '../testing/websocket-fixtures.js';
import { makeWebSocketConnectionHandler, makeWebSocketMessageHandler } from './api-gateway-websocket.js';

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

describe('makeWebSocketMessageHandler', () => {
  it('answers 200 and pushes the streamed answer to the connection', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    const handler = makeWebSocketMessageHandler(webSocket);
    const result = await handler(
      webSocketEvent('sendMessage', connectionId, { body: JSON.stringify(sendMessage('こんにちは')) }),
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(1);
  });

  it('decodes a base64 (binary) body as UTF-8', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    const body = Buffer.from(JSON.stringify(sendMessage('こんにちは')), 'utf8').toString('base64');
    await makeWebSocketMessageHandler(webSocket)(
      webSocketEvent('$default', connectionId, { body, isBase64Encoded: true }),
    );
    expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(1);
  });

  it('answers an event without a body with an invalid_frame error frame', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    expect(await makeWebSocketMessageHandler(webSocket)(webSocketEvent('$default', connectionId))).toEqual({
      statusCode: 200,
    });
    expect(pusher.frames(connectionId)).toEqual([expect.objectContaining({ code: 'invalid_frame' })]);
  });

  it('runs the after-message work before returning', async () => {
    const { webSocket, connect } = webSocketHarness();
    const connectionId = await connect();
    const done: string[] = [];
    const handler = makeWebSocketMessageHandler(webSocket, {
      afterMessage: async () => {
        done.push('flushed');
      },
    });
    await handler(webSocketEvent('sendMessage', connectionId, { body: JSON.stringify(sendMessage('hi')) }));
    expect(done).toEqual(['flushed']);
  });
});
