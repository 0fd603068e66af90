import { createHash } from 'node:crypto';
import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** A message as a FIFO queue takes it (`SendMessage`'s group, deduplication id and body). */
export interface LocalFifoMessage {
  readonly groupId: string;
  /** Absent on a queue with content-based deduplication: the SHA-256 of the body then. */
  readonly deduplicationId?: string;
  readonly body: string;
}

/**
 * An SQS event source mapping's function: the deployed handler (`SQSHandler`'s shape). It may
 * return a partial batch response, nothing (every record succeeded), or throw (every record failed).
 */
export type LocalQueueConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | undefined> | Promise<void>;

/** What the local runtime needs of an in-process queue, FIFO or standard: its listing and its shutdown. */
export interface LocalQueue {
  /** The queue as `GET /_local/queues` lists it. */
  listing(): LocalQueueListing;
  /** Resolves once every message accepted so far has been consumed or dead-lettered. */
  settled(): Promise<void>;
  /** Refuses new messages and stops consuming, waiting at most `drainMs` for what runs. */
  close(drainMs?: number): Promise<void>;
}

/** A message the consumer failed `maxReceiveCount` times, as `GET /_local/queues` lists it. */
export interface LocalDeadLetter {
  readonly message_id: string;
  /** FIFO queues only: a standard queue's messages have no group. */
  readonly group_id?: string;
  readonly body: string;
  /** Why the last receive failed: the consumer's error, or that it reported the record failed. */
  readonly error: string;
  readonly receive_count: number;
  /** When it was dead-lettered, ISO 8601. */
  readonly at: string;
}

/** One queue in `GET /_local/queues`. */
export interface LocalQueueListing {
  readonly name: string;
  /** Messages accepted and not yet handed to the consumer (delayed and returning ones included). */
  readonly waiting: number;
  /** Messages the consumer is handling now (on a FIFO queue, at most one per group). */
  readonly in_flight: number;
  /** Newest first. */
  readonly dead_letters: readonly LocalDeadLetter[];
  /** Dead letters forgotten because the list was full: non-zero means the list is not the whole story. */
  readonly dropped: number;
}

export interface LocalFifoQueueOptions {
  /** As the deployed queue is named, for the listing and the records' ARN. */
  readonly name: string;
  readonly consume: LocalQueueConsumer;
  /** Receives before a failing message is dead-lettered: the redrive policy's. @default 3 */
  readonly maxReceiveCount?: number;
  /**
   * Wait before a failed message is received again (deployed: the visibility timeout, minutes;
   * locally short, so a retry is seen). Its group waits with it. @default 1000
   */
  readonly redeliveryDelayMs?: number;
  /** SQS FIFO's deduplication interval. @default 300_000 (5 minutes) */
  readonly deduplicationWindowMs?: number;
  /**
   * The queue's `ContentBasedDeduplication`: a message sent without a deduplication id is
   * deduplicated on the SHA-256 of its body, as SQS does; without it, such a message is refused.
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;
  /** Dead letters kept; beyond it the oldest are forgotten and counted. @default 100 */
  readonly deadLetterCapacity?: number;
  /**
   * Messages accepted and not yet consumed, across groups; beyond it `send` refuses (as a
   * caller of SQS would see a throttle), so a stalled consumer cannot grow the process. @default 10_000
   */
  readonly maxWaiting?: number;
  /**
   * Messages handled at once across groups: the event source mapping's maximum concurrency. The
   * other groups wait their turn, served in the order they became ready.
   * @default Infinity (every group at once)
   */
  readonly maxConcurrency?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** SQS's largest message (body and attributes). */
export const maxBodyBytes = 256 * 1024;

/** What SQS allows in a message group id and a deduplication id: 1 to 128 of these. */
const fifoIdPattern = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

interface Pending {
  readonly messageId: string;
  readonly message: Required<LocalFifoMessage>;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
}

/**
 * An SQS FIFO queue and the Lambda event source mapping that consumes it, in process, for
 * `pnpm dev`: what the deployed FIFO queue and its mapping (batch size 1, partial batch
 * responses, a redrive policy to a dead-letter queue) do, on the same handler.
 *
 * - One group's messages are consumed one at a time, in the order they were sent; different
 *   groups' concurrently, at most `maxConcurrency` at once (the mapping's maximum concurrency).
 * - A message whose deduplication id was sent within the deduplication window is accepted and
 *   dropped, as SQS does; with `contentBasedDeduplication`, a message without one is deduplicated
 *   on the SHA-256 of its body.
 * - A consumer that throws, or reports the record in `batchItemFailures`, has it received again
 *   after `redeliveryDelayMs` (its group waits); after `maxReceiveCount` receives it is
 *   dead-lettered (listed, logged) and the group moves on. Nothing accepted is dropped silently.
 *
 * Memory is bounded: at most `maxWaiting` messages wait (beyond, `send` refuses), deduplication
 * ids are forgotten once their window has passed, dead letters beyond `deadLetterCapacity`.
 * `close` stops the consumption: what has not started by then is logged as abandoned.
 */
export class LocalFifoQueue implements LocalQueue {
  readonly #options: Required<Omit<LocalFifoQueueOptions, 'logger' | 'now'>>;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #arn: string;
  /** Each group's messages not yet consumed, oldest first; a group is present while it has any. */
  readonly #groups = new Map<string, Pending[]>();
  /** Groups being consumed now, with the run that consumes them. */
  readonly #running = new Map<string, Promise<void>>();
  /** Deduplication ids by when they were sent, oldest first (for pruning) and by id. */
  readonly #seen = new Map<string, number>();
  readonly #deadLetters: LocalDeadLetter[] = [];
  #dropped = 0;
  /** Messages in the groups, the ones being consumed included. */
  #held = 0;
  /** Messages being handed to the consumer now (the slots of `maxConcurrency` taken). */
  #delivering = 0;
  /** Groups waiting for a slot, in the order they asked. */
  readonly #slotWaiters: (() => void)[] = [];
  #sequence = 0;
  #closed = false;

  constructor(options: LocalFifoQueueOptions) {
    this.#options = {
      name: options.name,
      consume: options.consume,
      maxReceiveCount: positiveInteger('maxReceiveCount', options.maxReceiveCount ?? 3),
      redeliveryDelayMs: nonNegative('redeliveryDelayMs', options.redeliveryDelayMs ?? 1000),
      deduplicationWindowMs: nonNegative('deduplicationWindowMs', options.deduplicationWindowMs ?? 300_000),
      deadLetterCapacity: positiveInteger('deadLetterCapacity', options.deadLetterCapacity ?? 100),
      maxWaiting: positiveInteger('maxWaiting', options.maxWaiting ?? 10_000),
      contentBasedDeduplication: options.contentBasedDeduplication ?? false,
      maxConcurrency:
        options.maxConcurrency === undefined || options.maxConcurrency === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : positiveInteger('maxConcurrency', options.maxConcurrency),
    };
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#arn = `arn:aws:sqs:local:000000000000:${options.name}`;
  }

  /**
   * Accepts a message (`SendMessage`). Throws `RangeError` for a body over 256 KiB, a group or
   * deduplication id SQS would refuse, or no deduplication id on a queue without content-based
   * deduplication, and `Error` once the queue is closed or `maxWaiting` messages wait.
   */
  send(sent: LocalFifoMessage): void {
    if (this.#closed) throw new Error(`queue ${this.#options.name} is closed`);
    if (Buffer.byteLength(sent.body, 'utf8') > maxBodyBytes) {
      throw new RangeError(`message body over ${maxBodyBytes} bytes (SQS's limit)`);
    }
    const deduplicationId = sent.deduplicationId ?? this.#contentDeduplicationId(sent.body);
    const message = { groupId: sent.groupId, deduplicationId, body: sent.body };
    for (const [name, id] of [
      ['MessageGroupId', message.groupId],
      ['MessageDeduplicationId', message.deduplicationId],
    ] as const) {
      if (!fifoIdPattern.test(id)) {
        throw new RangeError(
          `${name} must be 1 to 128 letters, digits or ASCII punctuation, got ${JSON.stringify(id)}`,
        );
      }
    }
    if (this.#held >= this.#options.maxWaiting) {
      throw new Error(`queue ${this.#options.name} is full (${this.#options.maxWaiting} messages waiting)`);
    }
    const now = this.#now();
    this.#forgetDeduplicationIdsBefore(now - this.#options.deduplicationWindowMs);
    if (this.#seen.has(message.deduplicationId)) return;
    this.#seen.set(message.deduplicationId, now);
    this.#sequence += 1;
    const pending: Pending = {
      messageId: `local-${this.#sequence}`,
      message,
      sentAt: now,
      receiveCount: 0,
    };
    const group = this.#groups.get(message.groupId);
    if (group) group.push(pending);
    else this.#groups.set(message.groupId, [pending]);
    this.#held += 1;
    if (!this.#running.has(message.groupId)) this.#start(message.groupId);
  }

  listing(): LocalQueueListing {
    return {
      name: this.#options.name,
      waiting: this.#held - this.#delivering,
      in_flight: this.#delivering,
      dead_letters: [...this.#deadLetters].reverse(),
      dropped: this.#dropped,
    };
  }

  /** Resolves once every message accepted so far has been consumed or dead-lettered. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled(this.#running.values());
  }

  /**
   * Refuses new messages, lets the consumer finish what it is handling (for at most `drainMs`)
   * and starts nothing more: messages still waiting then are logged as abandoned, as a stopped
   * local runtime cannot keep them.
   */
  async close(drainMs = 5000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    await Promise.race([Promise.allSettled(this.#running.values()), timeout]);
    clearTimeout(timer);
    const abandoned = this.#held - this.#running.size;
    if (abandoned > 0) {
      this.#logger.warn('local queue closed: messages abandoned', { queue: this.#options.name, abandoned });
    }
  }

  /** SQS's id for a message sent without one to a queue with content-based deduplication. */
  #contentDeduplicationId(body: string): string {
    if (!this.#options.contentBasedDeduplication) {
      throw new RangeError(
        `queue ${this.#options.name} has no content-based deduplication: a message needs a MessageDeduplicationId`,
      );
    }
    return createHash('sha256').update(body, 'utf8').digest('hex');
  }

  #start(groupId: string): void {
    const run = this.#consumeGroup(groupId).finally(() => this.#running.delete(groupId));
    this.#running.set(groupId, run);
  }

  async #consumeGroup(groupId: string): Promise<void> {
    for (;;) {
      const group = this.#groups.get(groupId);
      const pending = group?.[0];
      if (group === undefined || pending === undefined) {
        this.#groups.delete(groupId);
        return;
      }
      // Taken at once when one is free: the consumer starts within `send`, as before any slot.
      const slot = this.#takeSlot();
      if (slot) await slot;
      let failure: string | undefined;
      try {
        if (this.#closed && pending.receiveCount === 0) return;
        pending.receiveCount += 1;
        pending.firstReceivedAt ??= this.#now();
        failure = await this.#deliver(pending);
      } finally {
        this.#giveSlot();
      }
      if (failure === undefined) {
        this.#remove(group);
        continue;
      }
      if (pending.receiveCount >= this.#options.maxReceiveCount) {
        this.#remove(group);
        this.#deadLetter(pending, failure);
        continue;
      }
      if (this.#closed) return;
      this.#logger.warn('local queue: message failed; receiving it again', {
        queue: this.#options.name,
        messageId: pending.messageId,
        receiveCount: pending.receiveCount,
        error: failure,
      });
      await new Promise((resolve) => setTimeout(resolve, this.#options.redeliveryDelayMs).unref());
    }
  }

  /** Takes a slot of `maxConcurrency` when one is free; else a promise of the next one given back. */
  #takeSlot(): Promise<void> | undefined {
    if (this.#delivering < this.#options.maxConcurrency) {
      this.#delivering += 1;
      return undefined;
    }
    // The slot passes from the one who gives it back to the first waiter: `#delivering` stays.
    return new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  #giveSlot(): void {
    const next = this.#slotWaiters.shift();
    if (next) next();
    else this.#delivering -= 1;
  }

  #remove(group: Pending[]): void {
    group.shift();
    this.#held -= 1;
  }

  /** Hands one message to the consumer; resolves to why it failed, or undefined. */
  async #deliver(pending: Pending): Promise<string | undefined> {
    const record = this.#record(pending);
    try {
      const response = await this.#options.consume({ Records: [record] });
      const failed = response?.batchItemFailures.some((item) => item.itemIdentifier === record.messageId);
      return failed ? 'the consumer reported it in batchItemFailures' : undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  #deadLetter(pending: Pending, error: string): void {
    this.#logger.error('local queue: message dead-lettered', {
      queue: this.#options.name,
      messageId: pending.messageId,
      groupId: pending.message.groupId,
      receiveCount: pending.receiveCount,
      error,
    });
    this.#deadLetters.push({
      message_id: pending.messageId,
      group_id: pending.message.groupId,
      body: pending.message.body,
      error,
      receive_count: pending.receiveCount,
      at: new Date(this.#now()).toISOString(),
    });
    if (this.#deadLetters.length > this.#options.deadLetterCapacity) {
      this.#deadLetters.shift();
      this.#dropped += 1;
    }
  }

  #record(pending: Pending): SQSRecord {
    return {
      messageId: pending.messageId,
      receiptHandle: `${pending.messageId}/${pending.receiveCount}`,
      body: pending.message.body,
      attributes: {
        ApproximateReceiveCount: String(pending.receiveCount),
        SentTimestamp: String(pending.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(pending.firstReceivedAt),
        SequenceNumber: pending.messageId.slice('local-'.length),
        MessageGroupId: pending.message.groupId,
        MessageDeduplicationId: pending.message.deduplicationId,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#arn,
      awsRegion: 'local',
    };
  }

  /** Ids are kept in the order they were sent, so the expired ones are at the front. */
  #forgetDeduplicationIdsBefore(cutoff: number): void {
    for (const [id, sentAt] of this.#seen) {
      if (sentAt >= cutoff) return;
      this.#seen.delete(id);
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`${name} must be zero or more, got ${value}`);
  return value;
}
