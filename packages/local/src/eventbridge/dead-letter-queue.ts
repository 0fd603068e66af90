import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
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
  /**
   * Dead letters the filter would have listed but that the queue forgot, being full, since it
   * started or was last cleared: non-zero means `messages` is not the whole story.
   */
  readonly dropped: number;
}

export interface DeadLetterFilter {
  readonly rule?: string;
  readonly target?: string;
}

export interface LocalDeadLetterQueueOptions {
  /** Told when a full queue forgets a message, at most once per `warnIntervalMs`. @default silentLogger */
  readonly logger?: Logger;
  /** Milliseconds, for spacing out those warnings; only differences matter. @default performance.now */
  readonly now?: () => number;
  /** @default 10000 */
  readonly warnIntervalMs?: number;
}

interface DropCount {
  readonly rule: string;
  readonly target: string;
  count: number;
}

/**
 * The in-memory dead-letter queues of every local rule target (one queue per target, kept
 * together and told apart by `rule` and `target`). Keeps at most `capacity` messages; beyond
 * that it forgets the oldest, counting them (`dropped` in the listing) and logging a warning
 * (`local dead-letter queue full: forgot the oldest dead letter`, rate-limited, each line with
 * `occurrences` and the running total `dropped`).
 *
 * Throws `RangeError` when `capacity` is not a positive integer.
 */
export class LocalDeadLetterQueue {
  readonly #capacity: number;
  /** Oldest first. */
  readonly #messages: DeadLetter[] = [];
  /** Forgotten messages by rule and target. */
  readonly #dropped = new Map<string, DropCount>();
  #droppedTotal = 0;
  readonly #evictionWarning: RateLimitedWarning;

  /** @param capacity Messages kept. @default 1000 */
  constructor(capacity = 1000, options: LocalDeadLetterQueueOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#evictionWarning = new RateLimitedWarning(
      options.logger ?? silentLogger,
      options.now ?? (() => performance.now()),
      options.warnIntervalMs ?? 10_000,
    );
  }

  send(message: DeadLetter): void {
    this.#messages.push(message);
    if (this.#messages.length <= this.#capacity) return;
    const forgotten = this.#messages.shift();
    if (forgotten) this.#forgot(forgotten);
  }

  /** Kept messages, newest first, of one rule and/or target when the filter names them. */
  list(filter: DeadLetterFilter = {}): DeadLetterListing {
    let dropped = 0;
    for (const count of this.#dropped.values()) if (selected(count, filter)) dropped += count.count;
    return {
      messages: this.#messages.filter((message) => selected(message, filter)).reverse(),
      dropped,
    };
  }

  /** Forgets every message and resets the `dropped` counts. */
  clear(): void {
    this.#messages.length = 0;
    this.#dropped.clear();
    this.#droppedTotal = 0;
  }

  #forgot(message: DeadLetter): void {
    const key = JSON.stringify([message.rule, message.target]);
    const count = this.#dropped.get(key) ?? { rule: message.rule, target: message.target, count: 0 };
    count.count += 1;
    this.#dropped.set(key, count);
    this.#droppedTotal += 1;
    this.#evictionWarning.warn('local dead-letter queue full: forgot the oldest dead letter', {
      rule: message.rule,
      target: message.target,
      eventId: message.event.id,
      capacity: this.#capacity,
      dropped: this.#droppedTotal,
    });
  }
}

function selected(
  message: { readonly rule: string; readonly target: string },
  filter: DeadLetterFilter,
): boolean {
  return (
    (filter.rule === undefined || message.rule === filter.rule) &&
    (filter.target === undefined || message.target === filter.target)
  );
}
