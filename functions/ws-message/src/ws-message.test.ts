import type { QueuedClientMessage } from '@mangaassist/chat';
import { silentLogger } from '@mangaassist/commons';
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
      requestTimeEpoch: 1_767_225_600_123,
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
  it('queues the frame for the stream worker and answers 200 without pushing anything', async () => {
    const queued: QueuedClientMessage[] = [];
    const pushed: string[] = [];
    const handler = makeWsMessageHandler({
      queue: {
        enqueue: async (message) => {
          queued.push(message);
        },
      },
      pusher: {
        send: async (_connectionId, data) => {
          pushed.push(data);
        },
      },
      logger: silentLogger,
    });
    const frame = '{"action":"getHistory","data":{"sessionId":"3f1c2b9e-5a4d-4c1e-9b2a-7d6e5f4a3b2c"}}';
    expect(await handler(messageEvent(frame))).toEqual({ statusCode: 200 });
    expect(queued).toEqual([
      {
        connection_id: 'L0SM9cOFvHcCIhw=',
        message_id: 'msg-1',
        body: frame,
        received_at: 1_767_225_600_123,
      },
    ]);
    expect(pushed).toEqual([]);
  });
});
