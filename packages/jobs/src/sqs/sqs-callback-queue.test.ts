import {
  ChangeMessageVisibilityCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newJobId } from '../testing/job-store-contract.js';
import { queueUrlOf, SqsCallbackQueue } from './sqs-callback-queue.js';

const sqsMock = mockClient(SQSClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => sqsMock.restore());

beforeEach(() => {
  sqsMock.reset();
});

/** The queue `enqueue` sends to: deliberately not the one the records below come from. */
const configuredQueueUrl =
  'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-job-callbacks';

function makeQueue(): SqsCallbackQueue {
  return new SqsCallbackQueue(new SQSClient({ region: 'ap-northeast-1' }), configuredQueueUrl);
}

function record(eventSourceARN: string, receiptHandle = 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a'): SQSRecord {
  return {
    messageId: 'm-1',
    receiptHandle,
    body: '{}',
    attributes: {
      ApproximateReceiveCount: '2',
      SentTimestamp: '1767225600000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600010',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: eventSourceARN.split(':')[3] ?? '',
  };
}

describe('queueUrlOf', () => {
  it('turns a queue ARN in the aws partition into its amazonaws.com URL', () => {
    expect(queueUrlOf('arn:aws:sqs:eu-west-1:210987654321:callbacks-staging')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/210987654321/callbacks-staging',
    );
  });

  it('turns a queue ARN in the aws-cn partition into its amazonaws.com.cn URL', () => {
    expect(queueUrlOf('arn:aws-cn:sqs:cn-north-1:123456789012:callbacks')).toBe(
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/callbacks',
    );
  });
});

describe('SqsCallbackQueue', () => {
  it('enqueues a callback by sending its JSON body to the configured queue', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const message = { job_id: newJobId(), status: 'succeeded' } as const;

    await makeQueue().enqueue(message);

    expect(sqsMock).toReceiveCommandExactlyOnceWith(SendMessageCommand, {
      QueueUrl: configuredQueueUrl,
      MessageBody: JSON.stringify(message),
    });
  });

  it('throws what SQS reports when enqueuing fails', async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejects(new QueueDoesNotExist({ message: 'no such queue', $metadata: {} }));

    await expect(makeQueue().enqueue({ job_id: newJobId(), status: 'failed' })).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('puts a record back for the given seconds on the queue it came from, by its receipt handle', async () => {
    sqsMock.on(ChangeMessageVisibilityCommand).resolves({});

    await makeQueue().later(record('arn:aws:sqs:eu-west-1:210987654321:callbacks-staging', 'rh-42'), 600);

    expect(sqsMock).toReceiveCommandExactlyOnceWith(ChangeMessageVisibilityCommand, {
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/210987654321/callbacks-staging',
      ReceiptHandle: 'rh-42',
      VisibilityTimeout: 600,
    });
  });

  it('puts a record from a queue in the aws-cn partition back on its amazonaws.com.cn URL', async () => {
    sqsMock.on(ChangeMessageVisibilityCommand).resolves({});

    await makeQueue().later(record('arn:aws-cn:sqs:cn-northwest-1:123456789012:callbacks', 'rh-cn'), 30);

    expect(sqsMock).toReceiveCommandExactlyOnceWith(ChangeMessageVisibilityCommand, {
      QueueUrl: 'https://sqs.cn-northwest-1.amazonaws.com.cn/123456789012/callbacks',
      ReceiptHandle: 'rh-cn',
      VisibilityTimeout: 30,
    });
  });

  it('throws what SQS reports when a record cannot be put back', async () => {
    sqsMock
      .on(ChangeMessageVisibilityCommand)
      .rejects(new ReceiptHandleIsInvalid({ message: 'expired receipt handle', $metadata: {} }));

    await expect(
      makeQueue().later(record('arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-job-callbacks'), 30),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });
});
