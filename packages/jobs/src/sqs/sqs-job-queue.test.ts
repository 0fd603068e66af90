import { QueueDoesNotExist, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newJobId } from '../testing/job-store-contract.js';
import { SqsJobQueue } from './sqs-job-queue.js';

const sqsMock = mockClient(SQSClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => sqsMock.restore());

beforeEach(() => {
  sqsMock.reset();
});

const queueUrls = {
  normal: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-jobs',
  low: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-jobs-low',
};

function makeQueue(): SqsJobQueue {
  return new SqsJobQueue(new SQSClient({ region: 'ap-northeast-1' }), queueUrls);
}

describe('SqsJobQueue', () => {
  it('sends the job id, its lane and when it was queued to the normal queue for a normal-priority job', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const jobId = newJobId();

    await makeQueue().send(jobId, 'normal', { queuedAt: '2026-12-07T01:02:03.000Z' });

    expect(sqsMock).toReceiveCommandExactlyOnceWith(SendMessageCommand, {
      QueueUrl: queueUrls.normal,
      MessageBody: JSON.stringify({
        job_id: jobId,
        priority: 'normal',
        queued_at: '2026-12-07T01:02:03.000Z',
      }),
    });
  });

  it('sends a low-priority job to the low queue', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const jobId = newJobId();

    await makeQueue().send(jobId, 'low', { delaySeconds: 30 });

    expect(sqsMock).toReceiveCommandExactlyOnceWith(SendMessageCommand, {
      QueueUrl: queueUrls.low,
      MessageBody: JSON.stringify({ job_id: jobId, priority: 'low' }),
      DelaySeconds: 30,
    });
  });

  it('throws what SQS reports', async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejects(new QueueDoesNotExist({ message: 'no such queue', $metadata: {} }));

    await expect(makeQueue().send(newJobId(), 'normal')).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});
