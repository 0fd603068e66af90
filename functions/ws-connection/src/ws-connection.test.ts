import { silentLogger } from '@mangaassist/commons';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeWsConnectionHandler } from './ws-connection.js';

function connectionEvent(
  routeKey: '$connect' | '$disconnect',
  queryStringParameters?: Record<string, string>,
): APIGatewayProxyWebsocketEventV2 {
  return {
    requestContext: {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' : 'DISCONNECT',
      messageId: 'msg-1',
      extendedRequestId: 'ext-1',
      requestTime: '01/Jan/2026:00:00:00 +0000',
      messageDirection: 'IN',
      stage: 'prod',
      connectedAt: 1_767_225_600_000,
      requestTimeEpoch: 1_767_225_600_000,
      requestId: 'req-1',
      domainName: 'abc123.execute-api.ap-northeast-1.amazonaws.com',
      connectionId: 'L0SM9cOFvHcCIhw=',
      apiId: 'abc123',
    },
    isBase64Encoded: false,
    ...(queryStringParameters ? { queryStringParameters } : {}),
  };
}

function recordingConnections(statusCode: 200 | 401 | 403 | 500 = 200) {
  const calls: unknown[] = [];
  return {
    calls,
    connections: {
      connect: async (request: { connectionId: string; ticket?: string }) => {
        calls.push(['connect', request]);
        return { statusCode };
      },
      disconnect: async (connectionId: string) => {
        calls.push(['disconnect', connectionId]);
      },
    },
  };
}

describe('ws-connection handler', () => {
  it('redeems the ?ticket= of $connect and answers its status', async () => {
    const { connections, calls } = recordingConnections(403);
    const handler = makeWsConnectionHandler({ connections, logger: silentLogger });
    expect(await handler(connectionEvent('$connect', { ticket: 't-1' }))).toEqual({ statusCode: 403 });
    expect(calls).toEqual([['connect', { connectionId: 'L0SM9cOFvHcCIhw=', ticket: 't-1' }]]);
  });

  it('forgets the connection on $disconnect', async () => {
    const { connections, calls } = recordingConnections();
    const handler = makeWsConnectionHandler({ connections, logger: silentLogger });
    expect(await handler(connectionEvent('$disconnect'))).toEqual({ statusCode: 200 });
    expect(calls).toEqual([['disconnect', 'L0SM9cOFvHcCIhw=']]);
  });
});
