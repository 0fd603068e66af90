import { QueueDoesNotExist, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readQueuedMessage } from '../websocket/client-message-queue.js';
import { SqsClientMessageQueue } from './sqs-client-message-queue.js';

const sqsMock = mockClient(SQSClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => sqsMock.restore());

beforeEach(() => {
  sqsMock.reset();
});

const queueUrl = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-ws-messages.fifo';
const message = {
  connection_id: 'L0SM9cOFvHcCIhw=',
  message_id: 'Qk3nLfKvtjMCJTg=',
  body: '{"action":"sendMessage","data":{"message":"ワンピースの最新刊は？"}}',
  received_at: 1_767_225_600_000,
};

function makeQueue(): SqsClientMessageQueue {
  return new SqsClientMessageQueue(new SQSClient({ region: 'ap-northeast-1' }), queueUrl);
}

describe('SqsClientMessageQueue', () => {
  it('sends the message grouped by connection, deduplicated by message id, readable by the worker', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    await makeQueue().enqueue(message);
    expect(sqsMock).toReceiveCommandTimes(SendMessageCommand, 1);
    const input = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      QueueUrl: queueUrl,
      MessageGroupId: 'L0SM9cOFvHcCIhw=',
      MessageDeduplicationId: 'Qk3nLfKvtjMCJTg=',
    });
    expect(readQueuedMessage(input?.MessageBody ?? '')).toEqual({ ok: true, message });
  });

  it('throws what SQS reports', async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejects(new QueueDoesNotExist({ message: 'no such queue', $metadata: {} }));
    await expect(makeQueue().enqueue(message)).rejects.toThrow('no such queue');
  });
});
