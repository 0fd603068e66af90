import { randomUUID } from 'node:crypto';
import { type Logger, silentLogger } from '@mangaassist/core';

/** A JSON object, as an event's `detail` is. */
export type JsonObject = { readonly [key: string]: unknown };

/**
 * An event as EventBridge delivers it to rules and targets (the envelope every pattern matches
 * against), on the bus it was put on.
 */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 in UTC to the second, as EventBridge writes it: `2026-01-31T09:00:00Z`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: JsonObject;
}

/** What happened to one target of a rule the event matched. */
export interface TargetOutcome {
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'dlq';
  readonly error?: string;
}

/** A rule the event matched and where it went. */
export interface RuleOutcome {
  readonly name: string;
  readonly targets: readonly TargetOutcome[];
}

/** One event as `GET /_local/events` lists it (DESIGN.md, "Local inspection and control"). */
export interface ListedEvent {
  readonly id: string;
  readonly time: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: JsonObject;
  readonly rules: readonly RuleOutcome[];
}

/** The body of `GET /_local/events`. */
export interface EventListing {
  readonly events: readonly ListedEvent[];
}

/** An event to put on the bus; the bus assigns the id, and the time when none is given. */
export interface PutOnBus {
  /** @default 'default' */
  readonly eventBusName?: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: JsonObject;
  /** @default now */
  readonly time?: Date;
  /** @default [] */
  readonly resources?: readonly string[];
  /** @default the bus's region */
  readonly region?: string;
}

export interface ListFilter {
  readonly source?: string;
  readonly detailType?: string;
  readonly eventBusName?: string;
  /** At most this many events, newest first. @default all that are kept */
  readonly limit?: number;
}

/** Called after every accepted event; a throw or rejection is logged, never seen by the sender. */
export type BusListener = (event: BusEvent, eventBusName: string) => void | Promise<void>;

export interface LocalEventBusOptions {
  /** Events kept for listing; the oldest are forgotten first. @default 1000 */
  readonly capacity?: number;
  /** @default '000000000000' */
  readonly account?: string;
  /** @default 'ap-northeast-1' */
  readonly region?: string;
  /** Wall-clock time for events put without one. @default () => new Date() */
  readonly now?: () => Date;
  /** @default () => crypto.randomUUID() */
  readonly newId?: () => string;
  /** Receives listener failures. @default silentLogger */
  readonly logger?: Logger;
}

interface Kept {
  readonly event: BusEvent;
  readonly eventBusName: string;
  rules: RuleOutcome[];
}

/** EventBridge writes event times to the second. */
export function eventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The local event bus behind the local EventBridge endpoint: keeps the most recent events of
 * every bus name (newest first, at most `capacity`), lists them in the `/_local/events` shape,
 * and tells subscribers about each event after `put` returns, as EventBridge delivers
 * asynchronously. Rule matching and targets subscribe here; each reports what it did through
 * `recordRule`, which the listing shows under the event's `rules`.
 *
 * @example
 * const bus = new LocalEventBus();
 * const unsubscribe = bus.subscribe((event) => console.log(event['detail-type']));
 * bus.put({ source: 'mangaassist.reviews', detailType: 'ReviewSubmitted', detail: { review_id: 'r1' } });
 */
export class LocalEventBus {
  readonly #capacity: number;
  readonly #account: string;
  readonly #region: string;
  readonly #now: () => Date;
  readonly #newId: () => string;
  readonly #logger: Logger;
  /** Oldest first; `list` reverses. */
  readonly #kept: Kept[] = [];
  readonly #byId = new Map<string, Kept>();
  readonly #listeners = new Set<BusListener>();
  #accepted = 0;

  /** Throws `RangeError` when `capacity` is not a positive integer. */
  constructor(options: LocalEventBusOptions = {}) {
    const capacity = options.capacity ?? 1000;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#account = options.account ?? '000000000000';
    this.#region = options.region ?? 'ap-northeast-1';
    this.#now = options.now ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Events accepted since the bus started (or was cleared), including those no longer kept. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Accepts an event, keeps it, and notifies subscribers once the caller has moved on. */
  put(input: PutOnBus): BusEvent {
    const event: BusEvent = {
      version: '0',
      id: this.#newId(),
      'detail-type': input.detailType,
      source: input.source,
      account: this.#account,
      time: eventTime(input.time ?? this.#now()),
      region: input.region ?? this.#region,
      resources: [...(input.resources ?? [])],
      detail: input.detail,
    };
    const eventBusName = input.eventBusName ?? 'default';
    const kept: Kept = { event, eventBusName, rules: [] };
    this.#kept.push(kept);
    this.#byId.set(event.id, kept);
    if (this.#kept.length > this.#capacity) {
      const forgotten = this.#kept.shift();
      if (forgotten) this.#byId.delete(forgotten.event.id);
    }
    this.#accepted += 1;
    for (const listener of this.#listeners) this.#notify(listener, event, eventBusName);
    return event;
  }

  /** Kept events, newest first, in the `GET /_local/events` shape. */
  list(filter: ListFilter = {}): EventListing {
    const events: ListedEvent[] = [];
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    for (let index = this.#kept.length - 1; index >= 0 && events.length < limit; index--) {
      const kept = this.#kept[index];
      if (!kept || !matches(kept, filter)) continue;
      const { event } = kept;
      events.push({
        id: event.id,
        time: event.time,
        source: event.source,
        'detail-type': event['detail-type'],
        detail: event.detail,
        rules: [...kept.rules],
      });
    }
    return { events };
  }

  /** A kept event by id, with its bus name. */
  get(id: string): { readonly event: BusEvent; readonly eventBusName: string } | undefined {
    const kept = this.#byId.get(id);
    return kept ? { event: kept.event, eventBusName: kept.eventBusName } : undefined;
  }

  /**
   * Records where a matched rule sent the event (replacing an earlier record of the same rule,
   * so retries can update a target's status). Ignored for an event no longer kept.
   */
  recordRule(eventId: string, rule: RuleOutcome): void {
    const kept = this.#byId.get(eventId);
    if (!kept) return;
    kept.rules = [...kept.rules.filter((existing) => existing.name !== rule.name), rule];
  }

  /** Calls `listener` for every event accepted from now on; returns the unsubscribe function. */
  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Forgets every kept event and resets `accepted`; subscribers stay. */
  clear(): void {
    this.#kept.length = 0;
    this.#byId.clear();
    this.#accepted = 0;
  }

  #notify(listener: BusListener, event: BusEvent, eventBusName: string): void {
    Promise.resolve()
      .then(() => listener(event, eventBusName))
      .catch((error: unknown) => {
        this.#logger.warn('local event bus listener failed', {
          eventId: event.id,
          detailType: event['detail-type'],
          error: error instanceof Error ? error.message : String(error),
        });
      });
  }
}

function matches({ event, eventBusName }: Kept, filter: ListFilter): boolean {
  return (
    (filter.source === undefined || event.source === filter.source) &&
    (filter.detailType === undefined || event['detail-type'] === filter.detailType) &&
    (filter.eventBusName === undefined || eventBusName === filter.eventBusName)
  );
}
