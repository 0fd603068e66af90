import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/** A queue's Lambda handler (`SQSHandler`'s shape): the poller calls the one the function deploys. */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined> | Promise<void>;

export interface SqsQueuePollerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsBatchHandler;
  /** Receive loops at once, each handling one batch at a time. @default 4 */
  readonly concurrency?: number;
  /** Messages a receive takes (1–10); a FIFO group's come in order, and the handler keeps it. @default 1 */
  readonly batchSize?: number;
  /**
   * The visibility timeout a batch gets, renewed every half of it while its handler runs, so a
   * stream of many minutes is not delivered again meanwhile; a failed message reappears after it.
   * @default 60
   */
  readonly visibilitySeconds?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** SQS's longest wait of a receive: an empty queue costs one request per 20 s per loop. */
const longPollSeconds = 20;
const firstBackoffMs = 1_000;
const maxBackoffMs = 20_000;

/**
 * An SQS event source mapping in a long-running process (the Fargate orchestrator): long-polls
 * the queue, hands each batch to the Lambda handler the function would run — as an `SQSEvent`
 * whose records read like Lambda's — deletes the messages it handled, and leaves the ones it
 * reports failed (`batchItemFailures`, or all when it throws) to reappear after their visibility
 * timeout and, after the queue's redrives, to land in its dead-letter queue: nothing is lost and
 * nothing is deleted unhandled. While a handler runs its messages' visibility is renewed. A
 * failed receive is retried with backoff (1 s doubling to 20 s).
 */
export class SqsQueuePoller {
  readonly #options: SqsQueuePollerOptions;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  readonly #loops: Promise<void>[] = [];
  readonly #queueArn: string;
  #inFlight = 0;

  constructor(options: SqsQueuePollerOptions) {
    const batchSize = options.batchSize ?? 1;
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10)) {
      throw new RangeError(`An SQS batch is 1 to 10 messages, got ${batchSize}`);
    }
    const visibility = options.visibilitySeconds ?? 60;
    if (!(Number.isInteger(visibility) && visibility >= 2 && visibility <= 43_200)) {
      throw new RangeError(`A visibility timeout is 2 to 43,200 seconds here, got ${visibility}`);
    }
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#queueArn = queueArnOf(options.queueUrl);
  }

  /** Messages being handled now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts the receive loops (once). */
  start(): void {
    if (this.#loops.length > 0) return;
    const concurrency = this.#options.concurrency ?? 4;
    for (let loop = 0; loop < concurrency; loop++) this.#loops.push(this.#poll());
  }

  /**
   * Stops receiving at once and waits for the batches being handled, `drainMs` at most. A batch
   * still running then is not deleted: its messages are delivered again once their visibility
   * runs out, as after a crash (the handler must be idempotent, as any SQS consumer's).
   */
  async stop(drainMs: number): Promise<void> {
    this.#stop.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#loops),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async #poll(): Promise<void> {
    const signal = this.#stop.signal;
    let backoffMs = firstBackoffMs;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        const received = await this.#options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#options.queueUrl,
            MaxNumberOfMessages: this.#options.batchSize ?? 1,
            WaitTimeSeconds: longPollSeconds,
            VisibilityTimeout: this.#visibilitySeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        messages = received.Messages ?? [];
        backoffMs = firstBackoffMs;
      } catch (error) {
        if (signal.aborted) return;
        this.#logger.warn('SQS receive failed; retrying', {
          queueUrl: this.#options.queueUrl,
          error: errorMessage(error),
          retryInMs: backoffMs,
        });
        await sleep(backoffMs, signal);
        backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
        continue;
      }
      if (messages.length > 0) await this.#handle(messages);
    }
  }

  get #visibilitySeconds(): number {
    return this.#options.visibilitySeconds ?? 60;
  }

  /** One batch: handled under a renewed visibility, then the handled messages deleted. */
  async #handle(messages: readonly Message[]): Promise<void> {
    this.#inFlight += messages.length;
    const renewal = setInterval(() => void this.#renew(messages), (this.#visibilitySeconds * 1000) / 2);
    let failed: Set<string>;
    try {
      const response = await this.#options.handler({
        Records: messages.map((message) => this.#record(message)),
      });
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      this.#logger.error('SQS batch handler failed; its messages will be received again', {
        queueUrl: this.#options.queueUrl,
        messages: messages.length,
        error: errorMessage(error),
      });
      failed = new Set(messages.map((message) => message.MessageId ?? ''));
    } finally {
      clearInterval(renewal);
      this.#inFlight -= messages.length;
    }
    const handled = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (handled.length > 0) await this.#delete(handled);
  }

  async #delete(messages: readonly Message[]): Promise<void> {
    try {
      const deleted = await this.#options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      if ((deleted.Failed ?? []).length > 0) {
        this.#logger.warn('SQS kept handled messages; they will be received again', {
          queueUrl: this.#options.queueUrl,
          failed: deleted.Failed?.map((failure) => failure.Code),
        });
      }
    } catch (error) {
      this.#logger.warn('SQS delete failed; the handled messages will be received again', {
        queueUrl: this.#options.queueUrl,
        error: errorMessage(error),
      });
    }
  }

  async #renew(messages: readonly Message[]): Promise<void> {
    try {
      await this.#options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: this.#visibilitySeconds,
          })),
        }),
      );
    } catch (error) {
      this.#logger.warn('SQS visibility renewal failed', {
        queueUrl: this.#options.queueUrl,
        error: errorMessage(error),
      });
    }
  }

  /** A received message as Lambda's event source mapping would pass it. */
  #record(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? '',
        SenderId: attributes.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
        ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
        ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
        ...(attributes.MessageDeduplicationId
          ? { MessageDeduplicationId: attributes.MessageDeduplicationId }
          : {}),
      },
      messageAttributes: lambdaMessageAttributes(message.MessageAttributes ?? {}),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#queueArn,
      awsRegion: this.#queueArn.split(':')[3] ?? '',
    };
  }
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → `arn:aws:sqs:<region>:<account>:<name>`. */
export function queueArnOf(queueUrl: string): string {
  const url = new URL(queueUrl);
  const [account = '', name = ''] = url.pathname.split('/').filter(Boolean);
  const region = /^sqs\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? '';
  return `arn:aws:sqs:${region}:${account}:${name}`;
}

function lambdaMessageAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined
          ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
          : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((binary) =>
          Buffer.from(binary).toString('base64'),
        ),
      },
    ]),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
