import { QueueDoesNotExist, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createFakeClock } from '@mangaassist/commons/testing';
import { type CatalogEnrichmentMessage, catalogEnrichmentMessage } from '@mangaassist/contracts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SqsCatalogEnrichmentQueue } from './sqs-catalog-enrichment-queue.js';

const sqsMock = mockClient(SQSClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => sqsMock.restore());

beforeEach(() => {
  sqsMock.reset();
});

const queueUrl =
  'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-catalog-enrichment.fifo';

const message = (productId: string, index: number): CatalogEnrichmentMessage =>
  catalogEnrichmentMessage(
    'batch-1',
    index,
    { product_id: productId, title: `巻 ${index}`, update_type: 'price_change', data: { price_jpy: 528 } },
    '2026-01-31T09:00:00.000Z',
  );

function makeQueue(clock = createFakeClock()) {
  return new SqsCatalogEnrichmentQueue(new SQSClient({ region: 'ap-northeast-1' }), {
    queueUrl,
    retry: { maxAttempts: 3, baseDelayMs: 100 },
    clock,
  });
}

describe('SqsCatalogEnrichmentQueue', () => {
  it('sends one SendMessageBatch, each entry in its product’s group, deduplicated on content', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = [message('manga-1', 0), message('ワンピース', 1)];

    expect(await makeQueue().send(messages)).toEqual([]);
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 1);
    const input = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe(queueUrl);
    expect(input?.Entries).toEqual([
      { Id: '0', MessageBody: JSON.stringify(messages[0]), MessageGroupId: 'manga-1' },
      {
        Id: '1',
        MessageBody: JSON.stringify(messages[1]),
        MessageGroupId: expect.stringMatching(/^sha256-/),
      },
    ]);
    expect(input?.Entries?.some((entry) => entry.MessageDeduplicationId !== undefined)).toBe(false);
  });

  it('sends again only the entries SQS did not accept, then returns what it still refuses', async () => {
    const clock = createFakeClock();
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }],
        Failed: [
          { Id: '1', Code: 'InternalError', SenderFault: false },
          { Id: '2', Code: 'InvalidParameterValue', SenderFault: true },
        ],
      })
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'ServiceUnavailable', SenderFault: false }] });
    const messages = [message('m-0', 0), message('m-1', 1), message('m-2', 2)];

    const sending = makeQueue(clock).send(messages);
    await clock.advance(1_000);
    await clock.advance(1_000);
    expect(await sending).toEqual([
      { message: messages[2], errorCode: 'InvalidParameterValue' },
      { message: messages[1], errorCode: 'ServiceUnavailable' },
    ]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.map((entry) => entry.Id))).toEqual([
      ['0', '1', '2'],
      ['1'],
      ['1'],
    ]);
  });

  it('sends again an entry SQS throttled even when it blames the sender, and never one it found invalid', async () => {
    const clock = createFakeClock();
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: '0', Code: 'RequestThrottled', SenderFault: true },
          { Id: '1', Code: 'InvalidMessageContents', SenderFault: true },
        ],
      })
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }] });
    const messages = [message('m-0', 0), message('m-1', 1)];

    const sending = makeQueue(clock).send(messages);
    await clock.advance(1_000);
    expect(await sending).toEqual([{ message: messages[1], errorCode: 'InvalidMessageContents' }]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.map((entry) => entry.Id))).toEqual([
      ['0', '1'],
      ['0'],
    ]);
  });

  it('throws what SQS reports for the request as a whole', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(new QueueDoesNotExist({ message: 'no such queue', $metadata: {} }));
    await expect(makeQueue().send([message('m-0', 0)])).rejects.toThrow('no such queue');
  });

  it('refuses two messages of one product in one request before calling SQS', async () => {
    await expect(makeQueue().send([message('m-0', 0), message('m-0', 1)])).rejects.toBeInstanceOf(RangeError);
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 0);
  });

  it('stops with the signal’s reason once it aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('delivery timed out'));
    await expect(makeQueue().send([message('m-0', 0)], { signal: controller.signal })).rejects.toThrow(
      'delivery timed out',
    );
  });
});
