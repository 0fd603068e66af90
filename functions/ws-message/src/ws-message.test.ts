import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeWsMessageHandler } from './ws-message.js';

function messageEvent(body: string): APIGatewayProxyWebsocketEventV2 {
  return {
    requestContext: {
      routeKey: 'sendMessage',
      eventType: 'MESSAGE',
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
    body,
    isBase64Encoded: false,
  };
}

describe('ws-message handler', () => {
  it('hands the frame to the WebSocket chat, flushes events, then answers 200', async () => {
    const order: string[] = [];
    const handler = makeWsMessageHandler({
      webSocket: {
        message: async (connectionId: string, body: string) => {
          order.push(`message ${connectionId} ${body}`);
        },
      },
      gateway: {
        flush: async (timeoutMs?: number) => {
          order.push(`flush ${timeoutMs}`);
        },
      },
    });
    expect(await handler(messageEvent('{"action":"getHistory"}'))).toEqual({ statusCode: 200 });
    expect(order).toEqual(['message L0SM9cOFvHcCIhw= {"action":"getHistory"}', 'flush 300']);
  });
});
