import { recordingLogger } from '@mangaassist/commons/testing';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ofType, sendMessage, sessionId, webSocketHarness } from '../testing/websocket-fixtures.js';
import { fifoMessageOf } from '../websocket/client-message-queue.js';
import { frameLogKey, streamIdForMessage } from '../websocket/websocket-chat.js';
import { makeClientMessageQueueHandler } from './client-message-queue-handler.js';

function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1767225600000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600010',
      MessageGroupId: 'c1=',
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-ws-messages.fifo',
    awsRegion: 'ap-northeast-1',
  };
}

function queued(connectionId: string, messageId: string, frame: unknown, receiveCount = 1): SQSRecord {
  const { body } = fifoMessageOf({
    connection_id: connectionId,
    message_id: messageId,
    body: JSON.stringify(frame),
    received_at: 1_767_225_600_000,
  });
  const delivered = record(messageId, body);
  return {
    ...delivered,
    attributes: { ...delivered.attributes, ApproximateReceiveCount: String(receiveCount) },
  };
}

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('makeClientMessageQueueHandler', () => {
  it('hands each queued message to the WebSocket chat, which streams the answer to its connection', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    const handler = makeClientMessageQueueHandler(webSocket);
    const result = await handler(event(queued(connectionId, 'm1', sendMessage('こんにちは'))));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ofType(pusher.frames(connectionId), 'start')).toHaveLength(1);
    expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(1);
  });

  it('handles a batch in order: the second message starts after the first has completed', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    await makeClientMessageQueueHandler(webSocket)(
      event(
        queued(connectionId, 'm1', sendMessage('一つ目')),
        queued(connectionId, 'm2', sendMessage('二つ目')),
      ),
    );
    const types = pusher.frames(connectionId).map((frame) => frame.type);
    const firstComplete = types.indexOf('complete');
    expect(types.lastIndexOf('start')).toBeGreaterThan(firstComplete);
    expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(2);
  });

  it('reports an unreadable record and every record after it as failures, handling none of them', async () => {
    const { webSocket, connect, pusher } = webSocketHarness();
    const connectionId = await connect();
    const logger = recordingLogger();
    const result = await makeClientMessageQueueHandler(webSocket, { logger })(
      event(
        queued(connectionId, 'm1', sendMessage('一つ目')),
        record('m2', '{"connection_id":"c1="}'),
        queued(connectionId, 'm3', sendMessage('三つ目')),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(1);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ messageId: 'm2', reason: expect.stringContaining('message_id') }),
      }),
    );
  });

  it('reports a record whose handling threw as a failure, so the queue redelivers or dead-letters it', async () => {
    const logger = recordingLogger();
    const handler = makeClientMessageQueueHandler(
      {
        message: async () => {
          throw new Error('bug');
        },
      },
      { logger },
    );
    const result = await handler(event(queued('c1=', 'm1', sendMessage('hi'))));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', fields: expect.objectContaining({ error: 'bug' }) }),
    );
  });

  it('runs the after-messages work once per batch, after the messages, even when one failed', async () => {
    const order: string[] = [];
    const handler = makeClientMessageQueueHandler(
      {
        message: async (connectionId, body) => {
          order.push(`message ${connectionId} ${body}`);
        },
      },
      {
        afterMessages: async () => {
          order.push('flushed');
        },
      },
    );
    await handler(event(queued('c1=', 'm1', { action: 'getHistory' }), record('m2', 'not json')));
    expect(order).toEqual(['message c1= {"action":"getHistory"}', 'flushed']);
  });

  describe('a message the queue delivers again', () => {
    it('is not answered twice: the stream the first delivery completed is replayed, with no second model call', async () => {
      const { webSocket, connect, pusher, runtimes, sessions } = webSocketHarness();
      const connectionId = await connect();
      const handler = makeClientMessageQueueHandler(webSocket);
      const frame = sendMessage('こんにちは', { sessionId });
      await handler(event(queued(connectionId, 'm1', frame)));
      const first = pusher.frames(connectionId);
      expect(first.at(-1)).toMatchObject({ type: 'complete', stream_id: streamIdForMessage('m1') });

      await handler(event(queued(connectionId, 'm1', frame, 2)));
      expect(pusher.frames(connectionId)).toEqual([...first, ...first]);
      expect(runtimes.calls).toHaveLength(1);
      expect(await sessions.history('manga-store', sessionId, 10)).toHaveLength(2);
    });

    it('ends the stream of an attempt that stopped part-way with stream_interrupted, answering nothing again', async () => {
      const { webSocket, connect, pusher, runtimes, frames } = webSocketHarness();
      const connectionId = await connect();
      const streamId = streamIdForMessage('m1');
      const key = frameLogKey('manga-store', streamId);
      await frames.append(
        key,
        0,
        JSON.stringify({
          type: 'start',
          stream_id: streamId,
          seq: 0,
          session_id: sessionId,
          request_id: 'r1',
        }),
      );
      await frames.append(
        key,
        1,
        JSON.stringify({ type: 'delta', stream_id: streamId, seq: 1, text: 'こんに' }),
      );

      await makeClientMessageQueueHandler(webSocket)(
        event(queued(connectionId, 'm1', sendMessage('こんにちは'), 2)),
      );
      expect(pusher.frames(connectionId)).toEqual([
        expect.objectContaining({ type: 'start', seq: 0 }),
        expect.objectContaining({ type: 'delta', seq: 1, text: 'こんに' }),
        expect.objectContaining({ type: 'error', seq: 2, stream_id: streamId, code: 'stream_interrupted' }),
      ]);
      expect(runtimes.calls).toHaveLength(0);
    });

    it('is answered when no earlier delivery got as far as its stream (e.g. a throttled invocation)', async () => {
      const { webSocket, connect, pusher, runtimes } = webSocketHarness();
      const connectionId = await connect();
      await makeClientMessageQueueHandler(webSocket)(
        event(queued(connectionId, 'm1', sendMessage('こんにちは'), 3)),
      );
      expect(ofType(pusher.frames(connectionId), 'complete')).toHaveLength(1);
      expect(runtimes.calls).toHaveLength(1);
    });
  });
});

describe('streamIdForMessage', () => {
  it('names one stream per message, the same at every delivery, as a UUID the contract accepts', () => {
    const id = streamIdForMessage('Qk3nLfKvtjMCJTg=');
    expect(id).toBe(streamIdForMessage('Qk3nLfKvtjMCJTg='));
    expect(id).not.toBe(streamIdForMessage('Qk3nLfKvtjMCJTh='));
    expect(z.uuid().safeParse(id).success).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
