import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { CallbackMessage, CallbackQueue } from '../callbacks/job-notifications.js';
import type { MessageVisibility } from './callback-queue-handler.js';

/** The URL of the queue an SQS record came from (`arn:aws:sqs:<region>:<account>:<name>`). */
export function queueUrlOf(eventSourceArn: string): string {
  const [, partition, , region, account, name] = eventSourceArn.split(':');
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/**
 * The callback queue on SQS: `enqueue` sends (`sqs:SendMessage`), `later` puts a received
 * message back for its retry (`sqs:ChangeMessageVisibility`, by the record's source queue).
 */
export class SqsCallbackQueue implements CallbackQueue, MessageVisibility {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: CallbackMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }),
    );
  }

  async later(record: SQSRecord, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrlOf(record.eventSourceARN),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}
