import {
  type BatchResultErrorEntry,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/** A queue's Lambda handler (`SQSHandler`'s shape): the poller calls the one the function deploys. */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined> | Promise<void>;

/** The calls the poller makes of SQS, and what it reads of their answers. */
export interface SqsPollingClient {
  send(
    command: ReceiveMessageCommand | DeleteMessageBatchCommand | ChangeMessageVisibilityBatchCommand,
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<{ readonly Messages?: Message[]; readonly Failed?: BatchResultErrorEntry[] }>;
}

export interface SqsQueuePollerOptions {
  /** An `SQSClient` (`pollingSqsClient` sizes one for the loops). */
  readonly client: SqsPollingClient;
  readonly queueUrl: string;
  readonly handler: SqsBatchHandler;
  /** Receive loops at once, each handling one batch at a time. @default 4 */
  readonly concurrency?: number;
  /** Messages a receive takes (1–10); a FIFO group's come in order, and the handler keeps it. @default 1 */
  readonly batchSize?: number;
  /**
   * The visibility timeout a batch gets, renewed every third of it while its handler runs (a
   * renewal that fails has another chance before it lapses), so a stream of many minutes is not
   * delivered again meanwhile; a failed message reappears after it.
   * @default 60
   */
  readonly visibilitySeconds?: number;
  /**
   * Longest a batch is handled, as a Lambda's timeout bounds it: then its visibility is no longer
   * renewed, it is not deleted (it is received again), and its loop receives again. The handler
   * itself cannot be stopped; it runs on, unheard.
   * @default 900
   */
  readonly maxHandlingSeconds?: number;
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
  /** The batches being handled, each with the timer that renews it. */
  readonly #batches = new Set<Batch>();
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
   * still running then is given up: no longer renewed, never deleted, so its messages are
   * delivered again once their visibility runs out, as after a crash (the handler must be
   * idempotent, as any SQS consumer's).
   */
  async stop(drainMs: number): Promise<void> {
    this.#stop.abort();
    const drained = await settledWithin(Promise.all(this.#loops), drainMs);
    if (!drained) for (const batch of this.#batches) this.#giveUp(batch, 'the drain ended first');
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
    const visibilityMs = this.#visibilitySeconds * 1000;
    const batch: Batch = {
      messages,
      renewal: setInterval(() => void this.#renew(messages), Math.floor(visibilityMs / 3)),
      givenUp: false,
    };
    this.#batches.add(batch);
    this.#inFlight += messages.length;
    let failed: ReadonlySet<string> | undefined;
    try {
      failed = await resultWithin(this.#failedOf(messages), (this.#options.maxHandlingSeconds ?? 900) * 1000);
    } finally {
      clearInterval(batch.renewal);
      this.#batches.delete(batch);
      this.#inFlight -= messages.length;
    }
    if (failed === undefined) {
      this.#giveUp(batch, 'its handler outlived maxHandlingSeconds');
      return;
    }
    if (batch.givenUp) return;
    const handled = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (handled.length > 0) await this.#delete(handled);
  }

  /** Stops renewing a batch and forgets it: its messages are received again. */
  #giveUp(batch: Batch, why: string): void {
    if (batch.givenUp) return;
    batch.givenUp = true;
    clearInterval(batch.renewal);
    this.#logger.error('SQS batch given up; its messages will be received again', {
      queueUrl: this.#options.queueUrl,
      messages: batch.messages.length,
      why,
    });
  }

  /** Runs the handler: the ids of the messages it failed (all when it throws, as Lambda does). */
  async #failedOf(messages: readonly Message[]): Promise<ReadonlySet<string>> {
    const ids = messages.map((message) => message.MessageId ?? '');
    try {
      const response = await this.#options.handler({
        Records: messages.map((message) => this.#record(message)),
      });
      const failed = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
      // A failure naming no message of the batch fails the batch, as Lambda's mapping does.
      if (failed.some((id) => !ids.includes(id))) {
        this.#logger.error(
          'SQS batch handler reported an unknown message; the batch will be received again',
          {
            queueUrl: this.#options.queueUrl,
            failed,
          },
        );
        return new Set(ids);
      }
      return new Set(failed);
    } catch (error) {
      this.#logger.error('SQS batch handler failed; its messages will be received again', {
        queueUrl: this.#options.queueUrl,
        messages: messages.length,
        error: errorMessage(error),
      });
      return new Set(ids);
    }
  }

  /**
   * Deletes handled messages, retrying what SQS did not delete (3 tries): a handled message left
   * would be answered again, and would hold its FIFO group meanwhile.
   */
  async #delete(messages: readonly Message[]): Promise<void> {
    let left = messages;
    for (let attempt = 1; left.length > 0; attempt++) {
      let problem: string;
      try {
        const deleted = await this.#options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#options.queueUrl,
            Entries: left.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
        const failedIds = new Set((deleted.Failed ?? []).map((failure) => failure.Id));
        left = left.filter((_, index) => failedIds.has(String(index)));
        problem = (deleted.Failed ?? []).map((failure) => failure.Code).join(', ');
      } catch (error) {
        problem = errorMessage(error);
      }
      if (left.length === 0) return;
      if (attempt === deleteAttempts) {
        this.#logger.error('SQS kept handled messages; they will be received again', {
          queueUrl: this.#options.queueUrl,
          messages: left.length,
          problem,
        });
        return;
      }
      await sleep(100 * 2 ** (attempt - 1));
    }
  }

  async #renew(messages: readonly Message[]): Promise<void> {
    let problem: string | undefined;
    try {
      const renewed = await this.#options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: this.#visibilitySeconds,
          })),
        }),
      );
      if ((renewed.Failed ?? []).length > 0)
        problem = renewed.Failed?.map((failure) => failure.Code).join(', ');
    } catch (error) {
      problem = errorMessage(error);
    }
    if (problem !== undefined) {
      this.#logger.error('SQS visibility renewal failed; tried again in a third of the timeout', {
        queueUrl: this.#options.queueUrl,
        problem,
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
        ...(attributes.AWSTraceHeader ? { AWSTraceHeader: attributes.AWSTraceHeader } : {}),
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

/** Resolves after `ms`, or as soon as `signal` aborts; leaves no listener behind. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `work`'s result, or `undefined` when it takes longer than `ms`. */
async function resultWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `work` settled within `ms`. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return (
    (await resultWithin(
      work.then(() => true),
      ms,
    )) === true
  );
}

interface Batch {
  readonly messages: readonly Message[];
  readonly renewal: NodeJS.Timeout;
  givenUp: boolean;
}

const deleteAttempts = 3;
