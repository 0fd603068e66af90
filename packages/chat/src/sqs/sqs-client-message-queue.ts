import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedClientMessage } from '@mangaassist/contracts';
import { type ClientMessageQueue, fifoMessageOf } from '../websocket/client-message-queue.js';

/**
 * A `ClientMessageQueue` on an SQS FIFO queue (`SendMessage`): the connection id is the message
 * group, API Gateway's message id the deduplication id, so a retried route call queues the
 * message once and one connection's messages are consumed in order. The client is injected; the
 * function needs `sqs:SendMessage` on the queue (and `kms:GenerateDataKey` if it is KMS-encrypted).
 * SDK errors (throttling after its retries, access denied, a missing queue) are thrown as the
 * SDK reports them.
 *
 * @example
 * const queue = new SqsClientMessageQueue(new SQSClient({}), process.env.WEBSOCKET_MESSAGE_QUEUE_URL);
 */
export class SqsClientMessageQueue implements ClientMessageQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: QueuedClientMessage): Promise<void> {
    const { groupId, deduplicationId, body } = fifoMessageOf(message);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageGroupId: groupId,
        MessageDeduplicationId: deduplicationId,
        MessageBody: body,
      }),
    );
  }
}
