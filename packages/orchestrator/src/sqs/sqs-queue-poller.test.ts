import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { recordingLogger, settlesWithin } from '@mangaassist/commons/testing';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  queueArnOf,
  type SqsBatchHandler,
  type SqsPollingClient,
  SqsQueuePoller,
} from './sqs-queue-poller.js';

const sqsMock = mockClient(SQSClient);
const queueUrl = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-dev-ws-messages.fifo';
const pollers: SqsQueuePoller[] = [];

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop(1_000)));
});

afterAll(() => {
  sqsMock.restore();
});

function message(id: string, overrides: Partial<Message> = {}): Message {
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: `{"n":"${id}"}`,
    MD5OfBody: 'md5',
    Attributes: {
      ApproximateReceiveCount: '2',
      SentTimestamp: '1765000000000',
      SenderId: 'AROA',
      ApproximateFirstReceiveTimestamp: '1765000000100',
      MessageGroupId: 'connection-1',
      SequenceNumber: '18888',
      MessageDeduplicationId: `dedupe-${id}`,
    },
    ...overrides,
  };
}

/** Receives `batches` in turn, then long-polls an empty queue (20 ms a receive, as a test's stand-in). */
function queueHolding(...batches: Message[][]) {
  let next = 0;
  sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
    const batch = batches[next++];
    if (batch) return { Messages: batch };
    await new Promise((resolve) => setTimeout(resolve, 20));
    return {};
  });
}

function start(handler: SqsBatchHandler, options: { visibilitySeconds?: number; batchSize?: number } = {}) {
  const logger = recordingLogger();
  const poller = new SqsQueuePoller({
    client: new SQSClient({ region: 'ap-northeast-1' }),
    queueUrl,
    handler,
    concurrency: 1,
    logger,
    ...options,
  });
  pollers.push(poller);
  poller.start();
  return { poller, logger };
}

/**
 * A queue whose long polls wait until they are aborted, as SQS's do for 20 s, after handing out
 * `first` once; counts the receives, renewals and deleted receipts.
 */
function hangingQueue(first: Message[]) {
  const queue = { receives: 0, waiting: 0, renewals: 0, deleted: [] as string[] };
  const client: SqsPollingClient = {
    send: async (command, options) => {
      if (command instanceof ReceiveMessageCommand) {
        queue.receives++;
        if (queue.receives === 1) return { Messages: first };
        queue.waiting++;
        await new Promise<void>((_, reject) => {
          options?.abortSignal?.addEventListener('abort', () => reject(new Error('Request aborted')), {
            once: true,
          });
        }).finally(() => {
          queue.waiting--;
        });
      }
      if (command instanceof ChangeMessageVisibilityBatchCommand) queue.renewals++;
      if (command instanceof DeleteMessageBatchCommand) {
        queue.deleted.push(...(command.input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? ''));
      }
      return {};
    },
  };
  return Object.assign(queue, { client });
}

const deletedHandles = () =>
  sqsMock
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle) ?? []);

describe('SqsQueuePoller', () => {
  it('hands a batch to the handler as Lambda records, deletes what it handled and leaves what it failed', async () => {
    queueHolding([
      message('a', { MessageAttributes: { kind: { DataType: 'String', StringValue: 'chat' } } }),
      message('b'),
    ]);
    const events: SQSEvent[] = [];

    start(
      async (event) => {
        events.push(event);
        return { batchItemFailures: [{ itemIdentifier: 'b' }] };
      },
      { batchSize: 10 },
    );

    await expect
      .poll(deletedHandles, { message: 'the handled message was never deleted' })
      .toEqual(['receipt-a']);
    expect(events[0]?.Records[0]).toEqual({
      messageId: 'a',
      receiptHandle: 'receipt-a',
      body: '{"n":"a"}',
      // Every system attribute, FIFO ones included, as Lambda passes them.
      attributes: message('a').Attributes,
      messageAttributes: {
        kind: { dataType: 'String', stringValue: 'chat', stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-dev-ws-messages.fifo',
      awsRegion: 'ap-northeast-1',
    });
    expect(events[0]?.Records.map((record) => record.messageId)).toEqual(['a', 'b']);
    const [receive] = sqsMock.commandCalls(ReceiveMessageCommand);
    expect(receive?.args[0].input).toMatchObject({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 60,
      MessageSystemAttributeNames: ['All'],
    });
  });

  it('deletes nothing of a batch whose handler throws, and says so', async () => {
    queueHolding([message('a')]);
    let handled = false;
    const { logger } = start(async () => {
      handled = true;
      throw new Error('the handler broke');
    });

    await expect.poll(() => handled, { message: 'the handler was never called' }).toBe(true);
    await expect
      .poll(() => logger.entries.map((entry) => entry.message), { message: 'the failure was never logged' })
      .toContain('SQS batch handler failed; its messages will be received again');
    expect(deletedHandles()).toEqual([]);
  });

  it('renews the visibility of a batch for as long as its handler runs', async () => {
    queueHolding([message('a')]);
    const renewals = () => sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand);

    start(
      async () => {
        // A long stream: still running when half the visibility timeout has passed.
        await expect
          .poll(() => renewals().length, { timeout: 5_000, message: 'no renewal' })
          .toBeGreaterThan(0);
      },
      { visibilitySeconds: 2 },
    );

    await expect.poll(deletedHandles, { timeout: 5_000, message: 'never deleted' }).toEqual(['receipt-a']);
    expect(renewals()[0]?.args[0].input).toEqual({
      QueueUrl: queueUrl,
      Entries: [{ Id: '0', ReceiptHandle: 'receipt-a', VisibilityTimeout: 2 }],
    });
  });

  it('retries a failed receive after a backoff, and goes on', async () => {
    let receives = 0;
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      receives++;
      if (receives === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      if (receives === 2) return { Messages: [message('a')] };
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    const { logger } = start(async () => {});

    await expect.poll(deletedHandles, { timeout: 5_000, message: 'never recovered' }).toEqual(['receipt-a']);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'SQS receive failed; retrying' }),
    );
  });

  it('renews every third of the visibility timeout, and stops renewing once the batch is done', async () => {
    vi.useFakeTimers();
    try {
      queueHolding([message('a')]);
      let finish: () => void = () => {};
      start(
        () =>
          new Promise<void>((resolve) => {
            finish = resolve;
          }),
        { visibilitySeconds: 9 },
      );
      const renewals = () => sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).length;

      await vi.advanceTimersByTimeAsync(2_999);
      expect(renewals()).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(renewals()).toBe(1);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(renewals()).toBe(2);
      finish();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(renewals()).toBe(2);
      expect(deletedHandles()).toEqual(['receipt-a']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('backs off 1 s, then 2 s, between failed receives, and from 1 s again after one succeeded', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
        calls++;
        if (calls === 3) return {};
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      });
      start(async () => {});
      const at = async (ms: number) => {
        await vi.advanceTimersByTimeAsync(ms);
        return calls;
      };

      expect(await at(0)).toBe(1);
      expect([await at(999), await at(1)]).toEqual([1, 2]);
      // The third succeeds at once; the fourth fails straight after it.
      expect([await at(1_999), await at(1)]).toEqual([2, 4]);
      expect([await at(999), await at(1)]).toEqual([4, 5]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops at once the receives that wait, and waits for the batch it handles until it finishes', async () => {
    const queue = hangingQueue([message('a')]);
    let finish: () => void = () => {};
    let handling = false;
    const poller = new SqsQueuePoller({
      client: queue.client,
      queueUrl,
      concurrency: 3,
      handler: async () => {
        handling = true;
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    });
    poller.start();
    await expect.poll(() => handling, { message: 'never handled' }).toBe(true);
    await expect.poll(() => queue.waiting, { message: 'the other loops never waited' }).toBe(2);

    let stopped = false;
    const stopping = poller.stop(60_000).then(() => {
      stopped = true;
    });
    await expect.poll(() => queue.waiting, { message: 'a long poll outlived the stop' }).toBe(0);
    expect(stopped).toBe(false);
    finish();
    await settlesWithin(stopping, 5_000, 'the stop once its batch finished');

    expect(queue.deleted).toEqual(['receipt-a']);
  });

  it('gives up a batch that outlives the drain: never renewed again, never deleted, even when its handler ends later', async () => {
    vi.useFakeTimers();
    try {
      const queue = hangingQueue([message('a')]);
      let finish: () => void = () => {};
      const logger = recordingLogger();
      const poller = new SqsQueuePoller({
        client: queue.client,
        queueUrl,
        concurrency: 1,
        visibilitySeconds: 3,
        logger,
        handler: () =>
          new Promise<void>((resolve) => {
            finish = resolve;
          }),
      });
      poller.start();
      await vi.advanceTimersByTimeAsync(0);
      const stopping = poller.stop(100);
      await vi.advanceTimersByTimeAsync(100);
      await stopping;
      const renewed = queue.renewals;

      await vi.advanceTimersByTimeAsync(10_000);
      finish();
      await vi.advanceTimersByTimeAsync(1_000);

      expect(queue.renewals).toBe(renewed);
      expect(queue.deleted).toEqual([]);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({ message: 'SQS batch given up; its messages will be received again' }),
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up a batch its handler holds past maxHandlingSeconds, and receives again', async () => {
    vi.useFakeTimers();
    try {
      const queue = hangingQueue([message('a')]);
      const poller = new SqsQueuePoller({
        client: queue.client,
        queueUrl,
        concurrency: 1,
        maxHandlingSeconds: 5,
        handler: () => new Promise<void>(() => {}),
      });
      pollers.push(poller);
      poller.start();
      await vi.advanceTimersByTimeAsync(4_999);
      expect([queue.receives, poller.inFlight]).toEqual([1, 1]);

      await vi.advanceTimersByTimeAsync(1);

      expect([queue.receives, poller.inFlight]).toEqual([2, 0]);
      expect(queue.deleted).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails the whole batch when its handler names a message that is not in it, as Lambda does', async () => {
    queueHolding([message('a')]);
    let handled = false;
    const { logger } = start(async () => {
      handled = true;
      return { batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] };
    });

    await expect.poll(() => handled, { message: 'never handled' }).toBe(true);
    await expect
      .poll(() => logger.entries.map((entry) => entry.message), { message: 'never logged' })
      .toContain('SQS batch handler reported an unknown message; the batch will be received again');
    expect(deletedHandles()).toEqual([]);
  });

  it('deletes again what SQS did not delete, three tries in all, then says so', async () => {
    queueHolding([message('a')], [message('b')]);
    sqsMock
      .on(DeleteMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] })
      .resolvesOnce({ Successful: [{ Id: '0' }], Failed: [] })
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    const { logger } = start(async () => {});

    await expect
      .poll(() => sqsMock.commandCalls(DeleteMessageBatchCommand).length, { message: 'too few deletes' })
      .toBe(5);
    expect(deletedHandles()).toEqual(['receipt-a', 'receipt-a', 'receipt-b', 'receipt-b', 'receipt-b']);
    await expect
      .poll(() => logger.entries.map((entry) => entry.message), { message: 'never logged' })
      .toContain('SQS kept handled messages; they will be received again');
  });

  it('says so when a renewal fails', async () => {
    queueHolding([message('a')]);
    sqsMock
      .on(ChangeMessageVisibilityBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    const { logger } = start(
      async () => {
        await expect
          .poll(() => sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).length, { timeout: 5_000 })
          .toBeGreaterThan(0);
      },
      { visibilitySeconds: 2 },
    );

    await expect
      .poll(() => logger.entries, { timeout: 5_000, message: 'never logged' })
      .toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'SQS visibility renewal failed; tried again in a third of the timeout',
          fields: expect.objectContaining({ problem: 'ReceiptHandleIsInvalid' }),
        }),
      );
  });

  it('refuses a batch size outside 1–10 and a visibility under 2 s', () => {
    const client = new SQSClient({ region: 'ap-northeast-1' });
    const handler = async () => {};
    expect(() => new SqsQueuePoller({ client, queueUrl, handler, batchSize: 11 })).toThrow(/1 to 10/);
    expect(() => new SqsQueuePoller({ client, queueUrl, handler, batchSize: 0 })).toThrow(/1 to 10/);
    expect(() => new SqsQueuePoller({ client, queueUrl, handler, visibilitySeconds: 1 })).toThrow(
      /2 to 43,200/,
    );
  });
});

describe('queueArnOf', () => {
  it('reads the region, account and name from a queue URL', () => {
    expect(queueArnOf(queueUrl)).toBe(
      'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-dev-ws-messages.fifo',
    );
  });
});
