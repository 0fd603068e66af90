import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobPriority } from '@mangaassist/contracts';
import { type JobQueue, type JobSendOptions, jobMessageBody } from '../job-starter.js';

/**
 * A `JobQueue` on two SQS standard queues, one per priority (the low lane's consumer runs with
 * less concurrency). The function needs `sqs:SendMessage` on both. SDK errors are thrown as the
 * SDK reports them (the API then stores no job and answers 503).
 */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Readonly<Record<JobPriority, string>>,
  ) {}

  async send(jobId: string, priority: JobPriority, options: JobSendOptions = {}): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrls[priority],
        MessageBody: jobMessageBody(jobId, priority, options.queuedAt),
        ...(options.delaySeconds ? { DelaySeconds: options.delaySeconds } : {}),
      }),
    );
  }
}
