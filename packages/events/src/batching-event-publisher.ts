// Events of many calls in one bus request: what a long-running server can do that a Lambda,
// which must send before it freezes, cannot.

import {
  type DomainEvent,
  EventPublishError,
  type EventPublisher,
  type PublishOptions,
} from './event-publisher.js';

export interface BatchingOptions {
  /** Events per request to the publisher (PutEvents takes 10). @default 10 */
  readonly maxBatch?: number;
  /** Longest an event waits for others to share its request. @default 10 */
  readonly lingerMs?: number;
  /** Requests to the publisher at once; more batches wait their turn. @default 4 */
  readonly maxInFlight?: number;
  /**
   * Events that may wait at once. Past it `publish` rejects at once (`EventPublishError`, code
   * `BufferFull`), as a bus request would fail: a bus that is down for long fills it.
   * @default 10_000
   */
  readonly maxBuffered?: number;
  /**
   * Longest a request to the publisher may take before it is aborted and its events refused: a
   * hung request must not hold one of the `maxInFlight` slots for as long as its socket lives.
   * @default 5_000
   */
  readonly requestTimeoutMs?: number;
}

/** One `publish` call waiting: its events and how to settle it. */
interface Waiting {
  readonly events: readonly DomainEvent[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** Stops listening to the call's signal, once its batch goes. */
  readonly detach: () => void;
}

/**
 * An `EventPublisher` that gathers the events of separate `publish` calls into shared requests
 * to `inner`: a batch goes when it is full (`maxBatch`) or when its first event has waited
 * `lingerMs`, at most `maxInFlight` at once, in order. Each call settles as its own events did:
 * it resolves when all of them were accepted, and rejects with an `EventPublishError` naming
 * those that were not (or with the error of a request that failed whole). A call whose signal
 * aborts before its batch goes is taken out and rejects with the reason. `flush` sends what
 * waits without lingering.
 *
 * @example const events = new BatchingEventPublisher(eventBridgePublisher, { lingerMs: 10 });
 */
export class BatchingEventPublisher implements EventPublisher {
  readonly #inner: EventPublisher;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  readonly #maxInFlight: number;
  readonly #maxBuffered: number;
  readonly #requestTimeoutMs: number;
  readonly #waiting: Waiting[] = [];
  #buffered = 0;
  #inFlight = 0;
  #linger: NodeJS.Timeout | undefined;
  /** Send without lingering until nothing waits (a `flush`, or a batch that lingered enough). */
  #due = false;
  readonly #sent = new Set<Promise<void>>();

  constructor(inner: EventPublisher, options: BatchingOptions = {}) {
    this.#inner = inner;
    this.#maxBatch = positiveInteger('maxBatch', options.maxBatch ?? 10);
    this.#lingerMs = options.lingerMs ?? 10;
    if (!(this.#lingerMs >= 0)) throw new RangeError(`lingerMs must be ≥ 0, got ${this.#lingerMs}`);
    this.#maxInFlight = positiveInteger('maxInFlight', options.maxInFlight ?? 4);
    this.#maxBuffered = positiveInteger('maxBuffered', options.maxBuffered ?? 10_000);
    this.#requestTimeoutMs = positiveInteger('requestTimeoutMs', options.requestTimeoutMs ?? 5_000);
  }

  publish(events: readonly DomainEvent[], options: PublishOptions = {}): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#buffered + events.length > this.#maxBuffered) {
      const failed = events.map((event) => ({ event, errorCode: 'BufferFull' }));
      return Promise.reject(
        new EventPublishError(
          `${this.#buffered} events already wait for the bus; refused ${events.length}`,
          failed,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiting);
        if (index === -1) return; // already sent: it settles with its batch
        this.#waiting.splice(index, 1);
        this.#buffered -= events.length;
        reject(signal?.reason);
      };
      const waiting: Waiting = {
        events,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      this.#waiting.push(waiting);
      this.#buffered += events.length;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#send();
    });
  }

  /** Sends every event waiting now, and resolves when all requests so far have settled. Never rejects. */
  async flush(): Promise<void> {
    for (;;) {
      // Events published meanwhile are sent without lingering too.
      this.#due = true;
      this.#send();
      if (this.#sent.size === 0) return;
      await Promise.allSettled([...this.#sent]);
    }
  }

  /** Sends the batches that are due, as far as `maxInFlight` allows; lingers for the rest. */
  #send(): void {
    while (this.#waiting.length > 0 && this.#inFlight < this.#maxInFlight) {
      if (!this.#due && this.#buffered < this.#maxBatch) break;
      this.#dispatch(this.#takeBatch());
    }
    if (this.#waiting.length === 0) this.#due = false;
    if (this.#waiting.length > 0 && !this.#due && this.#linger === undefined) {
      this.#linger = setTimeout(() => {
        this.#linger = undefined;
        this.#due = true;
        this.#send();
      }, this.#lingerMs);
      this.#linger.unref();
    }
  }

  /** The calls at the head of the queue whose events fit one batch (a larger call goes alone). */
  #takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    let size = 0;
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as Waiting;
      if (batch.length > 0 && size + next.events.length > this.#maxBatch) break;
      this.#waiting.shift();
      next.detach();
      batch.push(next);
      size += next.events.length;
    }
    this.#buffered -= size;
    if (this.#linger !== undefined && this.#waiting.length === 0) {
      clearTimeout(this.#linger);
      this.#linger = undefined;
    }
    return batch;
  }

  #dispatch(batch: readonly Waiting[]): void {
    this.#inFlight += 1;
    const sent: Promise<void> = this.#request(batch.flatMap((waiting) => waiting.events))
      .then(
        () => undefined,
        (error: unknown) => ({ error }),
      )
      .then((failure) => {
        // The slot is free before the callers hear of it: the next batch is already on its way.
        this.#inFlight -= 1;
        this.#sent.delete(sent);
        if (failure === undefined) for (const waiting of batch) waiting.resolve();
        else settleFailed(batch, failure.error);
        this.#send();
      });
    this.#sent.add(sent);
  }

  /** One request to the publisher, bounded in time; a publisher that throws at once rejects instead. */
  #request(events: readonly DomainEvent[]): Promise<void> {
    try {
      return this.#inner.publish(events, { signal: AbortSignal.timeout(this.#requestTimeoutMs) });
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** Each call of a batch that failed: rejected with the events of its own that failed, else resolved. */
function settleFailed(batch: readonly Waiting[], error: unknown): void {
  if (!(error instanceof EventPublishError)) {
    for (const waiting of batch) waiting.reject(error);
    return;
  }
  for (const waiting of batch) {
    const own = error.failed.filter(({ event }) => waiting.events.includes(event));
    if (own.length === 0) waiting.resolve();
    else waiting.reject(new EventPublishError(error.message, own));
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
