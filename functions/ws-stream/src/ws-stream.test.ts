import { fifoMessageOf } from '@mangaassist/chat';
import { silentLogger } from '@mangaassist/commons';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeWsStreamHandler } from './ws-stream.js';

function queuedEvent(body: string): SQSEvent {
  const message = fifoMessageOf({
    connection_id: 'L0SM9cOFvHcCIhw=',
    message_id: 'msg-1',
    body,
    received_at: 1_767_225_600_000,
  });
  return {
    Records: [
      {
        messageId: 'sqs-1',
        receiptHandle: 'rh-1',
        body: message.body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1767225600000',
          SenderId: 'AROAEXAMPLE',
          ApproximateFirstReceiveTimestamp: '1767225600010',
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-ws-messages.fifo',
        awsRegion: 'ap-northeast-1',
      },
    ],
  };
}

describe('ws-stream handler', () => {
  it('hands the queued frame to the WebSocket chat, flushes events, then reports no failure', async () => {
    const order: string[] = [];
    const handler = makeWsStreamHandler({
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
      logger: silentLogger,
    });
    expect(await handler(queuedEvent('{"action":"getHistory"}'))).toEqual({ batchItemFailures: [] });
    expect(order).toEqual(['message L0SM9cOFvHcCIhw= {"action":"getHistory"}', 'flush 300']);
  });
});
