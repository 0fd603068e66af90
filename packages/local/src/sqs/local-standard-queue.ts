import { createHash, randomUUID } from 'node:crypto';
import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import {
  type LocalDeadLetter,
  type LocalQueue,
  type LocalQueueConsumer,
  type LocalQueueListing,
  maxBodyBytes,
} from './local-fifo-queue.js';

/** How a `LocalStandardQueue` is named, consumed and bounded: the queue's and its mapping's settings. */
export interface LocalStandardQueueOptions {
  /** As the deployed queue is named, for the listing and the records' ARN. */
  readonly name: string;
  readonly consume: LocalQueueConsumer;
  /** Records per invocation at most: the event source mapping's `BatchSize` (1 to 10,000). @default 10 */
  readonly batchSize?: number;
  /**
   * Invocations at once at most: the mapping's `ScalingConfig.MaximumConcurrency` (AWS allows 2 to
   * 1,000; locally 1 is allowed too). @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * How long a received message stays invisible (deployed: the queue's visibility timeout, minutes;
   * locally short, so a retry is seen): a record that fails comes back this long after it was
   * received, unless the consumer changed it (`changeMessageVisibility`). Up to 12 hours. @default 1000
   */
  readonly visibilityTimeoutMs?: number;
  /** Receives before a failing message is dead-lettered: the redrive policy's (1 to 1,000). @default 3 */
  readonly maxReceiveCount?: number;
  /** Dead letters kept; beyond it the oldest are forgotten and counted. @default 100 */
  readonly deadLetterCapacity?: number;
  /**
   * Messages held (waiting, delayed, returning or in flight); beyond it `send` refuses (as a caller
   * of SQS would see a throttle), so a stalled consumer cannot grow the process. @default 10_000
   */
  readonly maxWaiting?: number;
  /**
   * Milliseconds since the epoch, for the records' timestamps and the dead letters' `at`. Delays and
   * visibility timeouts run on real timers whatever it returns. @default Date.now
   */
  readonly now?: () => number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** What `LocalStandardQueue.send` takes besides the body. */
export interface LocalStandardSendOptions {
  /** `DelaySeconds`, in milliseconds: the message is not delivered before it (0 to 900,000). @default 0 */
  readonly delayMs?: number;
  /** String message attributes (`DataType: 'String'`), at most 10, as the records' `messageAttributes`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** SQS's longest `DelaySeconds`: 15 minutes. */
const maxDelayMs = 900_000;
/** SQS's longest visibility timeout: 12 hours. */
const maxVisibilityTimeoutMs = 43_200_000;
/** SQS's most message attributes on one message. */
const maxAttributes = 10;
/** A message attribute name SQS accepts: no leading, trailing or doubled dot; `AWS.` and `Amazon.` are reserved. */
const attributeNamePattern = /^(?!\.)(?!.*\.\.)(?!.*\.$)(?!(?:aws|amazon)\.)[A-Za-z0-9_.-]{1,256}$/i;

interface Pending {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly md5OfBody: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The current receive's handle, while an invocation holds the message. */
  receiptHandle?: string;
  /** When (`performance.now()`) the current receive's invisibility ends. */
  invisibleUntil: number;
  /** Delayed or returning: the timer that makes it visible. */
  timer?: NodeJS.Timeout;
}

/**
 * An SQS standard queue and the Lambda event source mapping that consumes it, in process, for
 * `pnpm dev`: what the deployed queue and its mapping (batches, a concurrency cap, partial batch
 * responses, a redrive policy to a dead-letter queue) do, on the same handler.
 *
 * - Delivery is at least once and unordered: visible messages go to the consumer in batches of up
 *   to `batchSize` records, at most `maxConcurrency` invocations at once. A message that comes back
 *   joins the end of the line, so a failing message cannot starve the others.
 * - A record the consumer reports in `batchItemFailures` comes back when its visibility timeout
 *   ends; the others are deleted. A consumer that throws, or whose response names a record that is
 *   not in the batch, fails the whole batch (as Lambda does). After `maxReceiveCount` receives a
 *   failing message is dead-lettered (listed with its last error, logged). Each receive counts,
 *   deferrals included.
 * - A consumer defers a record ("not now, in 30 s", e.g. a per-tenant cap) as it would deployed:
 *   `changeMessageVisibility(record.receiptHandle, ms)` (the `ChangeMessageVisibility` call), then
 *   report the record in `batchItemFailures`.
 * - A message held by an invocation is never delivered twice at once, even past its visibility
 *   timeout: deployed, the timeout is at least the function's, so the invocation ends first.
 *
 * Delays and returns run on unref'd timers (no polling). Memory is bounded: at most `maxWaiting`
 * messages are held (beyond, `send` refuses), dead letters beyond `deadLetterCapacity` are
 * forgotten and counted. `close` stops the consumption: what is held and not in flight then is
 * logged as abandoned.
 *
 * @example
 * const queue = new LocalStandardQueue({ name: 'jobs-normal', consume: starterHandler });
 * queue.send(JSON.stringify({ jobId }), { delayMs: 5_000 });
 */
export class LocalStandardQueue implements LocalQueue {
  readonly #options: Required<Omit<LocalStandardQueueOptions, 'logger' | 'now'>>;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #arn: string;
  /** Visible messages by id, in the order they became visible (the next batch is taken from the front). */
  readonly #ready = new Map<string, Pending>();
  /** Delayed or returning messages, each with its timer. */
  readonly #invisible = new Set<Pending>();
  /** Messages an invocation holds, by receipt handle. */
  readonly #inFlight = new Map<string, Pending>();
  readonly #invocations = new Set<Promise<void>>();
  readonly #deadLetters: LocalDeadLetter[] = [];
  readonly #settledWaiters: (() => void)[] = [];
  #dropped = 0;
  /** Every message accepted and not yet deleted or dead-lettered. */
  #held = 0;
  #pumpScheduled: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(options: LocalStandardQueueOptions) {
    this.#options = {
      name: options.name,
      consume: options.consume,
      batchSize: integerBetween('batchSize', options.batchSize ?? 10, 1, 10_000),
      maxConcurrency: integerBetween('maxConcurrency', options.maxConcurrency ?? 2, 1, 1000),
      visibilityTimeoutMs: between(
        'visibilityTimeoutMs',
        options.visibilityTimeoutMs ?? 1000,
        0,
        maxVisibilityTimeoutMs,
      ),
      maxReceiveCount: integerBetween('maxReceiveCount', options.maxReceiveCount ?? 3, 1, 1000),
      deadLetterCapacity: integerBetween(
        'deadLetterCapacity',
        options.deadLetterCapacity ?? 100,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
      maxWaiting: integerBetween('maxWaiting', options.maxWaiting ?? 10_000, 1, Number.MAX_SAFE_INTEGER),
    };
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#arn = `arn:aws:sqs:local:000000000000:${options.name}`;
  }

  /**
   * Accepts a message (`SendMessage`) and returns its message id. Throws `RangeError` for what SQS
   * refuses (body and attributes over 256 KiB, a delay over 15 minutes, more than 10 attributes, a
   * name it does not allow, an empty value), and `Error` once the queue is closed or `maxWaiting`
   * messages are held.
   */
  send(body: string, options: LocalStandardSendOptions = {}): string {
    if (this.#closed) throw new Error(`queue ${this.#options.name} is closed`);
    const delayMs = between('delayMs', options.delayMs ?? 0, 0, maxDelayMs);
    const attributes = { ...options.attributes };
    if (messageBytes(body, attributes) > maxBodyBytes) {
      throw new RangeError(`message over ${maxBodyBytes} bytes, body and attributes (SQS's limit)`);
    }
    if (this.#held >= this.#options.maxWaiting) {
      throw new Error(`queue ${this.#options.name} is full (${this.#options.maxWaiting} messages held)`);
    }
    const pending: Pending = {
      messageId: randomUUID(),
      body,
      attributes,
      md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
      sentAt: this.#now(),
      receiveCount: 0,
      invisibleUntil: 0,
    };
    this.#held += 1;
    this.#makeVisibleIn(pending, delayMs);
    return pending.messageId;
  }

  /**
   * `ChangeMessageVisibility` for a message an invocation holds: it stays invisible for
   * `visibilityTimeoutMs` from now (0 to 12 hours) instead of the queue's timeout from its receive.
   * To defer a record, call it and report the record in `batchItemFailures` (or throw); a record the
   * consumer does not report failed is deleted whatever its visibility. Throws `RangeError` for an
   * out-of-range timeout and `Error` (SQS's `ReceiptHandleIsInvalid`) for a handle that is not the
   * current receive's of a message held now.
   *
   * @example
   * // In the consumer: tenant at its cap, try again in 30 s.
   * queue.changeMessageVisibility(record.receiptHandle, 30_000);
   * failures.push({ itemIdentifier: record.messageId });
   */
  changeMessageVisibility(receiptHandle: string, visibilityTimeoutMs: number): void {
    const pending = this.#inFlight.get(receiptHandle);
    if (pending === undefined) {
      throw new Error(
        `ReceiptHandleIsInvalid: ${JSON.stringify(receiptHandle)} is not the handle of a message an invocation of ${this.#options.name} holds`,
      );
    }
    pending.invisibleUntil =
      performance.now() + between('visibilityTimeoutMs', visibilityTimeoutMs, 0, maxVisibilityTimeoutMs);
  }

  /** The queue as `GET /_local/queues` lists it: `waiting` counts delayed and returning messages too. */
  listing(): LocalQueueListing {
    return {
      name: this.#options.name,
      waiting: this.#held - this.#inFlight.size,
      in_flight: this.#inFlight.size,
      dead_letters: [...this.#deadLetters].reverse(),
      dropped: this.#dropped,
    };
  }

  /**
   * Resolves once every message accepted so far has been consumed or dead-lettered (delayed and
   * returning ones included), or, once closed, when no invocation runs.
   */
  settled(): Promise<void> {
    if (this.#isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /**
   * Refuses new messages, stops the timers, lets the invocations running finish (for at most
   * `drainMs`) and starts nothing more: messages held and not in flight then are logged as
   * abandoned, as a stopped local runtime cannot keep them.
   */
  async close(drainMs = 5000): Promise<void> {
    this.#closed = true;
    clearImmediate(this.#pumpScheduled);
    for (const pending of this.#invisible) clearTimeout(pending.timer);
    this.#notifyIfSettled();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    await Promise.race([Promise.allSettled(this.#invocations), timeout]);
    clearTimeout(timer);
    const abandoned = this.#held - this.#inFlight.size;
    if (abandoned > 0) {
      this.#logger.warn('local queue closed: messages abandoned', { queue: this.#options.name, abandoned });
    }
  }

  /** Makes a message visible now (at the end of the line) or after `ms`. */
  #makeVisibleIn(pending: Pending, ms: number): void {
    if (ms <= 0) {
      this.#ready.set(pending.messageId, pending);
      this.#schedulePump();
      return;
    }
    this.#invisible.add(pending);
    pending.timer = setTimeout(() => {
      this.#invisible.delete(pending);
      pending.timer = undefined;
      this.#ready.set(pending.messageId, pending);
      this.#schedulePump();
    }, ms).unref();
  }

  /**
   * Starts invocations on the next turn rather than at once, so that messages sent together (or
   * coming back together) share a batch, as a poller's receive would find them.
   */
  #schedulePump(): void {
    if (this.#closed || this.#pumpScheduled !== undefined) return;
    this.#pumpScheduled = setImmediate(() => {
      this.#pumpScheduled = undefined;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#closed && this.#invocations.size < this.#options.maxConcurrency && this.#ready.size > 0) {
      const batch: Pending[] = [];
      for (const pending of this.#ready.values()) {
        if (batch.length === this.#options.batchSize) break;
        batch.push(pending);
      }
      for (const pending of batch) this.#ready.delete(pending.messageId);
      const invocation: Promise<void> = this.#invoke(batch).finally(() => {
        this.#invocations.delete(invocation);
        this.#pump();
        this.#notifyIfSettled();
      });
      this.#invocations.add(invocation);
    }
  }

  /** Hands a batch to the consumer, then deletes, returns or dead-letters each message. Never rejects. */
  async #invoke(batch: readonly Pending[]): Promise<void> {
    const receivedAt = this.#now();
    const invisibleUntil = performance.now() + this.#options.visibilityTimeoutMs;
    const records = batch.map((pending) => {
      const receiptHandle = randomUUID();
      pending.receiveCount += 1;
      pending.firstReceivedAt ??= receivedAt;
      pending.receiptHandle = receiptHandle;
      pending.invisibleUntil = invisibleUntil;
      this.#inFlight.set(receiptHandle, pending);
      return this.#record(pending, receiptHandle);
    });
    const failures = await this.#failuresOf(records);
    for (const pending of batch) {
      if (pending.receiptHandle !== undefined) this.#inFlight.delete(pending.receiptHandle);
      pending.receiptHandle = undefined;
      const failure = failures.get(pending.messageId);
      if (failure === undefined) {
        this.#held -= 1;
        continue;
      }
      if (pending.receiveCount >= this.#options.maxReceiveCount) {
        this.#held -= 1;
        this.#deadLetter(pending, failure);
        continue;
      }
      // Stays held (counted as abandoned on close) with no timer: nothing may run once closed.
      if (this.#closed) continue;
      const visibleInMs = Math.max(0, pending.invisibleUntil - performance.now());
      this.#logger.warn('local queue: message failed; it comes back after its visibility timeout', {
        queue: this.#options.name,
        messageId: pending.messageId,
        receiveCount: pending.receiveCount,
        visibleInMs: Math.round(visibleInMs),
        error: failure,
      });
      this.#makeVisibleIn(pending, visibleInMs);
    }
  }

  /** Calls the consumer; resolves to why each failed record failed, by message id. */
  async #failuresOf(records: readonly SQSRecord[]): Promise<Map<string, string>> {
    // Read before the call: the consumer may mutate the records it is given.
    const ids = new Set(records.map((record) => record.messageId));
    const all = (why: string) => new Map([...ids].map((id) => [id, why]));
    try {
      const response = await this.#options.consume({ Records: [...records] });
      const reported = response?.batchItemFailures ?? [];
      const stranger = reported.find((item) => !ids.has(item.itemIdentifier));
      if (stranger !== undefined) {
        return all(
          `batchItemFailures named ${JSON.stringify(stranger.itemIdentifier)}, not a record of the batch: Lambda fails the whole batch`,
        );
      }
      return new Map(
        reported.map((item) => [item.itemIdentifier, 'the consumer reported it in batchItemFailures']),
      );
    } catch (error) {
      return all(errorMessage(error));
    }
  }

  #deadLetter(pending: Pending, error: string): void {
    this.#logger.error('local queue: message dead-lettered', {
      queue: this.#options.name,
      messageId: pending.messageId,
      receiveCount: pending.receiveCount,
      error,
    });
    this.#deadLetters.push({
      message_id: pending.messageId,
      body: pending.body,
      error,
      receive_count: pending.receiveCount,
      at: new Date(this.#now()).toISOString(),
    });
    if (this.#deadLetters.length > this.#options.deadLetterCapacity) {
      this.#deadLetters.shift();
      this.#dropped += 1;
    }
  }

  #isSettled(): boolean {
    return this.#invocations.size === 0 && (this.#held === 0 || this.#closed);
  }

  #notifyIfSettled(): void {
    if (!this.#isSettled()) return;
    for (const resolve of this.#settledWaiters.splice(0)) resolve();
  }

  #record(pending: Pending, receiptHandle: string): SQSRecord {
    const messageAttributes: SQSMessageAttributes = {};
    for (const [name, value] of Object.entries(pending.attributes)) {
      messageAttributes[name] = {
        dataType: 'String',
        stringValue: value,
        stringListValues: [],
        binaryListValues: [],
      };
    }
    return {
      messageId: pending.messageId,
      receiptHandle,
      body: pending.body,
      attributes: {
        ApproximateReceiveCount: String(pending.receiveCount),
        SentTimestamp: String(pending.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(pending.firstReceivedAt),
      },
      messageAttributes,
      md5OfBody: pending.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.#arn,
      awsRegion: 'local',
    };
  }
}

/** The bytes SQS counts against its size limit: the body, and each attribute's name, type and value. */
function messageBytes(body: string, attributes: Readonly<Record<string, string>>): number {
  const entries = Object.entries(attributes);
  if (entries.length > maxAttributes) {
    throw new RangeError(`at most ${maxAttributes} message attributes, got ${entries.length}`);
  }
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of entries) {
    if (!attributeNamePattern.test(name)) {
      throw new RangeError(`message attribute name SQS does not allow: ${JSON.stringify(name)}`);
    }
    if (value === '') throw new RangeError(`message attribute ${name} has an empty value`);
    bytes += Buffer.byteLength(name, 'utf8') + 'String'.length + Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

function integerBetween(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  return between(name, value, min, max);
}

function between(name: string, value: number, min: number, max: number): number {
  if (!(value >= min && value <= max)) {
    throw new RangeError(`${name} must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}
