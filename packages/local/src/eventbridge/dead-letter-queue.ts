import type { BusEvent } from './local-event-bus.js';

/**
 * An event a rule target gave up on, as `GET /_local/dlq` lists it. As in an EventBridge DLQ the
 * body is the original event (not the transformed input), with what EventBridge puts in the
 * message attributes: the rule, the target, the last error and how many times it was tried.
 */
export interface DeadLetter {
  readonly rule: string;
  readonly target: string;
  readonly event: BusEvent;
  /** The last attempt's error message. */
  readonly error: string;
  /** Deliveries tried, the first included (EventBridge's `RETRY_ATTEMPTS` is this minus one). */
  readonly attempts: number;
}

/** The body of `GET /_local/dlq`, newest first. */
export interface DeadLetterListing {
  readonly messages: readonly DeadLetter[];
}

export interface DeadLetterFilter {
  readonly rule?: string;
  readonly target?: string;
}

/**
 * The in-memory dead-letter queues of every local rule target (one queue per target, kept
 * together and told apart by `rule` and `target`). Keeps at most `capacity` messages, forgetting
 * the oldest first.
 *
 * Throws `RangeError` when `capacity` is not a positive integer.
 */
export class LocalDeadLetterQueue {
  readonly #capacity: number;
  /** Oldest first. */
  readonly #messages: DeadLetter[] = [];

  /** @param capacity Messages kept. @default 1000 */
  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  send(message: DeadLetter): void {
    this.#messages.push(message);
    if (this.#messages.length > this.#capacity) this.#messages.shift();
  }

  /** Kept messages, newest first, of one rule and/or target when the filter names them. */
  list(filter: DeadLetterFilter = {}): DeadLetterListing {
    return {
      messages: this.#messages
        .filter(
          (message) =>
            (filter.rule === undefined || message.rule === filter.rule) &&
            (filter.target === undefined || message.target === filter.target),
        )
        .reverse(),
    };
  }

  clear(): void {
    this.#messages.length = 0;
  }
}
