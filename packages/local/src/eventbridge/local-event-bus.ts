import { randomUUID } from 'node:crypto';
import { type Clock, type Logger, RateLimitedWarning, silentLogger, systemClock } from '@mangaassist/commons';
import type { EventRule } from '@mangaassist/contracts';
import { type DeadLetterFilter, type DeadLetterListing, LocalDeadLetterQueue } from './dead-letter-queue.js';
import type { LocalTargets } from './local-rules.js';
import { type AcceptedEvent, RuleRouter } from './rule-router.js';
import { scheduledEventFields, scheduleIntervalMs } from './scheduled-event.js';
import { TargetConcurrency } from './target-concurrency.js';
import { defaultRetryTiming, type RetryTiming } from './target-delivery.js';

/** Least time between two warnings that the bus or its dead-letter queue forgot something. */
const evictionWarnIntervalMs = 10_000;

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
  /**
   * What the target answered when it succeeded (a consumer's `{ status, reason? … }`), so that
   * an event acknowledged as `rejected` or `skipped` shows why. An addition to the DESIGN.md shape.
   */
  readonly result?: unknown;
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
  /**
   * Events the filter would have listed (its `limit` aside) but that the bus forgot, being over
   * `capacity`, since it started or was last cleared: non-zero means `events` is not the whole
   * story. An addition to the DESIGN.md shape; `events` is exactly that shape.
   */
  readonly dropped: number;
}

/** Options of `LocalEventBus.close`. */
export interface LocalEventBusCloseOptions {
  /**
   * How long to wait for target calls already running to settle; the bus then stops waiting and
   * logs how many still run (they go on, unattended). @default 5000
   */
  readonly drainMs?: number;
}

/** `put`, `runSchedule` or `startSchedules` on a bus that has been closed (`LocalEventBus.close`). */
export class LocalEventBusClosedError extends Error {
  override readonly name = 'LocalEventBusClosedError';

  constructor(operation: string) {
    super(`the local event bus is closed: ${operation} refused`);
  }
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

/** A kept event, with how far down an event chain it stands and whether rules saw it. */
export interface KeptEvent {
  readonly event: BusEvent;
  readonly eventBusName: string;
  /**
   * Hops from the event that started its chain: 0 for an event nothing on this bus caused, else
   * one more than the event named by `detail.source_event_id` (when still kept), and never less
   * than a well-formed `detail.chain_depth`.
   */
  readonly hop: number;
  /** `false` when the event was past the hop limit and no rule saw it. */
  readonly routed: boolean;
}

/** Called after every accepted event; a throw or rejection is logged, never seen by the sender. */
export type BusListener = (event: BusEvent, eventBusName: string) => void | Promise<void>;

export interface LocalEventBusOptions {
  /** Events kept for listing; the oldest are forgotten first. @default 1000 */
  readonly capacity?: number;
  /** @default '000000000000' */
  readonly account?: string;
  /** Region of the bus and its rules (rule ARNs). @default 'ap-northeast-1' */
  readonly region?: string;
  /** Wall-clock time for events put without one. @default () => new Date() */
  readonly now?: () => Date;
  /** @default () => crypto.randomUUID() */
  readonly newId?: () => string;
  /** Receives listener failures, target failures and refused chains. @default silentLogger */
  readonly logger?: Logger;
  /** Times retry waits, event ages and the schedule runner; tests pass a fake. @default systemClock */
  readonly clock?: Clock;
  /** Uniform in [0, 1), for retry jitter. @default Math.random */
  readonly random?: () => number;
  /** Waits between retries of a failing target. @default { baseDelayMs: 200, maxDelayMs: 5000 } */
  readonly retryTiming?: Partial<RetryTiming>;
  /**
   * The backstop against runaway event chains: an event more than this many hops from the event
   * that started its chain (see `KeptEvent.hop`) is accepted and listed, but no rule sees it.
   * The consumers' own guard (`chain_depth`, at most 3) stops a chain well before. @default 10
   */
  readonly maxHops?: number;
  /** Dead letters kept, over every target. @default 1000 */
  readonly deadLetterCapacity?: number;
  /**
   * Calls of one local target (one consumer, whichever rules send to it) running at once, as a
   * Lambda function's reserved concurrency; further deliveries wait in order of arrival. Each
   * attempt takes its turn, a retry queueing anew; a delivery waiting for a retry holds no turn.
   * An event's age (`maximumEventAgeSeconds`) counts from acceptance as EventBridge counts it from
   * ingestion, time in the queue included — but it is judged only when a retry is scheduled, and
   * with the contract's ages (an hour by default) the queue rarely matters. @default 8
   */
  readonly targetConcurrency?: number;
  /**
   * Deliveries one target may have waiting for a turn (a Lambda's async queue, bounded here so a
   * consumer slower than the traffic cannot grow `pnpm dev` without limit): an event beyond it
   * goes straight to the dead-letter queue, error `local target backlog full`. @default 1000
   */
  readonly maxWaitingPerTarget?: number;
}

/** Options of `LocalEventBus.addRules`. */
export interface AddRulesOptions {
  /** The bus whose events the rules see. @default every bus */
  readonly eventBusName?: string;
}

/** Options of `LocalEventBus.startSchedules`. */
export interface ScheduleRunnerOptions {
  /** Runs every scheduled rule this often instead of its own `rate(…)`. @default each rule's rate */
  readonly intervalMs?: number;
}

/** Forgotten events with the same bus, source and detail type. */
interface DropCount {
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  count: number;
}

interface Kept {
  readonly event: BusEvent;
  readonly eventBusName: string;
  readonly hop: number;
  readonly routed: boolean;
  /** Rule name -> each target's latest outcome, in target order (`undefined` before its first). */
  readonly rules: Map<string, (TargetOutcome | undefined)[]>;
}

/** EventBridge writes event times to the second. */
export function eventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The local event bus behind the local EventBridge endpoint. Keeps the most recent events of
 * every bus name (newest first, at most `capacity`) and lists them in the `/_local/events`
 * shape; applies rules (`addRules`) with EventBridge's semantics — pattern matching, input
 * transformers, asynchronous delivery, retries with backoff by each target's retry policy, then
 * the target's dead-letter queue (`deadLetters`) — and records every matched rule and each
 * target's outcome on the event (`ok`; `failed` while retries remain; `dlq` once given up).
 * Subscribers hear about each event after `put` returns.
 *
 * Events put by targets (through the endpoint or `put`) are routed like any other, so chains run
 * locally; an event past `maxHops` hops is not routed (logged as a warning). At most
 * `targetConcurrency` calls of one target run at once, the rest queued in order.
 *
 * Over `capacity` (or `deadLetterCapacity`) the oldest event (dead letter) is forgotten, counted
 * in the listing's `dropped` and logged (rate-limited). `close` stops the bus for good: call it
 * before closing what targets write to.
 *
 * @example
 * const bus = new LocalEventBus();
 * bus.addRules(eventRules, { 'fm-trigger': async (event) => { … }, … }, { eventBusName: 'mangaassist-local-ai-events' });
 * bus.put({ eventBusName: 'mangaassist-local-ai-events', source: 'mangaassist.reviews', detailType: 'ReviewSubmitted', detail: { … } });
 * await bus.idle();
 * bus.list(); // { events: [{ …, rules: [{ name: 'payments-and-reviews', targets: [{ name: 'fm-trigger', status: 'ok' }] }] }] }
 */
export class LocalEventBus {
  readonly #capacity: number;
  readonly #account: string;
  readonly #region: string;
  readonly #now: () => Date;
  readonly #newId: () => string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #maxHops: number;
  readonly #deadLetters: LocalDeadLetterQueue;
  readonly #router: RuleRouter;
  /** Oldest first; `list` reverses. */
  readonly #kept: Kept[] = [];
  readonly #byId = new Map<string, Kept>();
  readonly #listeners = new Set<BusListener>();
  readonly #dropped = new Map<string, DropCount>();
  readonly #evictionWarning: RateLimitedWarning;
  readonly #scheduleRunners = new Set<AbortController>();
  #accepted = 0;
  #droppedTotal = 0;
  #closing: Promise<void> | undefined;

  /**
   * Throws `RangeError` when `capacity`, `deadLetterCapacity`, `targetConcurrency` or
   * `maxWaitingPerTarget` is not a positive integer, `maxHops` not a non-negative integer, or a retry delay negative.
   */
  constructor(options: LocalEventBusOptions = {}) {
    const capacity = options.capacity ?? 1000;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    const maxHops = options.maxHops ?? 10;
    if (!Number.isSafeInteger(maxHops) || maxHops < 0) {
      throw new RangeError(`maxHops must be a non-negative integer, got ${maxHops}`);
    }
    const maxWaitingPerTarget = options.maxWaitingPerTarget ?? 1000;
    if (!Number.isSafeInteger(maxWaitingPerTarget) || maxWaitingPerTarget < 1) {
      throw new RangeError(`maxWaitingPerTarget must be a positive integer, got ${maxWaitingPerTarget}`);
    }
    const timing = { ...defaultRetryTiming, ...options.retryTiming };
    if (!(timing.baseDelayMs >= 0 && timing.maxDelayMs >= 0)) {
      throw new RangeError('retry delays must be non-negative numbers');
    }
    this.#capacity = capacity;
    this.#maxHops = maxHops;
    this.#account = options.account ?? '000000000000';
    this.#region = options.region ?? 'ap-northeast-1';
    this.#now = options.now ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    const now = () => this.#clock.now();
    this.#evictionWarning = new RateLimitedWarning(this.#logger, now, evictionWarnIntervalMs);
    this.#deadLetters = new LocalDeadLetterQueue(options.deadLetterCapacity, {
      logger: this.#logger,
      now,
      warnIntervalMs: evictionWarnIntervalMs,
    });
    const concurrency = new TargetConcurrency(options.targetConcurrency ?? 8);
    this.#router = new RuleRouter({
      account: this.#account,
      region: this.#region,
      clock: this.#clock,
      random: options.random ?? Math.random,
      timing,
      deadLetters: this.#deadLetters,
      logger: this.#logger,
      concurrency,
      maxWaitingPerTarget,
      recorder: {
        ruleMatched: (eventId, rule, targetCount) => {
          this.#byId.get(eventId)?.rules.set(
            rule,
            Array.from({ length: targetCount }, () => undefined),
          );
        },
        targetStatus: (eventId, rule, targetIndex, outcome) => {
          const targets = this.#byId.get(eventId)?.rules.get(rule);
          if (targets) targets[targetIndex] = outcome;
        },
      },
    });
  }

  /** Events accepted since the bus started (or was cleared), including those no longer kept. */
  get accepted(): number {
    return this.#accepted;
  }

  /** `true` once `close` has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Applies `rules` (defined once in `@mangaassist/contracts`) to the events accepted from now
   * on, in addition to the rules already added. `targets` runs each rule target: by handler name
   * for a Lambda target, by target id for an API destination. Scheduled rules match no event;
   * they run through `runSchedule` and `startSchedules`.
   *
   * Throws, adding none of `rules`: `InvalidEventPatternError` or `InvalidInputTransformerError`
   * for what EventBridge would refuse, `Error` for a target with no local target, a rule with
   * neither or both of a pattern and a schedule, or a rule name already added.
   */
  addRules(rules: readonly EventRule[], targets: LocalTargets, options: AddRulesOptions = {}): void {
    this.#router.add(rules, targets, options.eventBusName);
  }

  /**
   * Accepts an event, keeps it, and — once the caller has moved on — routes it to the rules of
   * its bus and notifies subscribers. Never waits for targets and never throws for a target.
   *
   * Throws `LocalEventBusClosedError` once the bus is closed: a closed bus accepts nothing, so
   * that no sender believes an event was delivered (the endpoint answers PutEvents with a 503
   * `ServiceUnavailableException`).
   */
  put(input: PutOnBus): BusEvent {
    if (this.closed) throw new LocalEventBusClosedError('put');
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
    const hop = this.#hopOf(event.detail);
    const routed = hop <= this.#maxHops;
    const accepted = this.#keep(event, eventBusName, hop, routed);
    this.#accepted += 1;
    if (!routed) {
      this.#logger.warn('local event bus: event past the hop limit not routed (possible event loop)', {
        eventId: event.id,
        detailType: event['detail-type'],
        hop,
        maxHops: this.#maxHops,
      });
    } else if (this.#router.hasRules) {
      this.#router.route(accepted);
    }
    for (const listener of this.#listeners) this.#notify(listener, event, eventBusName);
    return event;
  }

  /**
   * Fires the scheduled rule `ruleName` now: delivers EventBridge's scheduled event
   * (`source: aws.events`, `detail-type: Scheduled Event`, `resources: [<rule ARN>]`, empty
   * detail) to that rule's targets only — as EventBridge does, no other rule and no subscriber
   * sees it — and keeps it in the listing. Returns the event at once; delivery is asynchronous.
   * Throws `Error` when no scheduled rule has that name, `LocalEventBusClosedError` once closed.
   */
  runSchedule(ruleName: string): BusEvent {
    if (this.closed) throw new LocalEventBusClosedError('runSchedule');
    const rule = this.#router.scheduledRule(ruleName);
    const eventBusName = rule.eventBusName ?? 'default';
    const fields = scheduledEventFields(this.#router.arnOf(rule, eventBusName));
    const event: BusEvent = {
      version: '0',
      id: this.#newId(),
      'detail-type': fields.detailType,
      source: fields.source,
      account: this.#account,
      time: eventTime(this.#now()),
      region: this.#region,
      resources: [...fields.resources],
      detail: fields.detail,
    };
    this.#accepted += 1;
    this.#router.deliver(rule, this.#keep(event, eventBusName, 0, true));
    return event;
  }

  /**
   * Runs every scheduled rule added so far on its `rate(…)` (or every `intervalMs`), the first
   * time one interval from now, until the returned function is called or the bus closes. Off
   * unless started; a rule whose expression is not a `rate(…)` is skipped with a warning. Throws
   * `LocalEventBusClosedError` once closed.
   */
  startSchedules(options: ScheduleRunnerOptions = {}): () => void {
    if (this.closed) throw new LocalEventBusClosedError('startSchedules');
    const controller = new AbortController();
    this.#scheduleRunners.add(controller);
    for (const rule of this.#router.scheduledRules) {
      const intervalMs = options.intervalMs ?? scheduleIntervalMs(rule.schedule ?? '');
      if (intervalMs === undefined || intervalMs <= 0) {
        this.#logger.warn('local schedule runner skips a rule it cannot time', {
          rule: rule.name,
          schedule: rule.schedule,
        });
        continue;
      }
      void this.#runEvery(rule.name, intervalMs, controller.signal);
    }
    return () => {
      controller.abort();
      this.#scheduleRunners.delete(controller);
    };
  }

  /**
   * Kept events, newest first, in the `GET /_local/events` shape, with how many the filter would
   * have listed but the bus forgot (`dropped`). A matched rule is listed at once; each of its
   * targets appears after its first attempt (`ok`, `failed` while retries remain, `dlq` once
   * given up), in the rule's target order — or, when the bus closed before it ever ran, as
   * `failed` with error `bus closed`.
   */
  list(filter: ListFilter = {}): EventListing {
    const events: ListedEvent[] = [];
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    for (let index = this.#kept.length - 1; index >= 0 && events.length < limit; index--) {
      const kept = this.#kept[index];
      if (!kept) continue;
      const listed = {
        eventBusName: kept.eventBusName,
        source: kept.event.source,
        detailType: kept.event['detail-type'],
      };
      if (!matches(listed, filter)) continue;
      const { event } = kept;
      events.push({
        id: event.id,
        time: event.time,
        source: event.source,
        'detail-type': event['detail-type'],
        detail: event.detail,
        rules: [...kept.rules].map(([name, targets]) => ({
          name,
          targets: targets.filter((target) => target !== undefined),
        })),
      });
    }
    let dropped = 0;
    for (const count of this.#dropped.values()) {
      if (
        matches(
          { eventBusName: count.eventBusName, source: count.source, detailType: count.detailType },
          filter,
        )
      )
        dropped += count.count;
    }
    return { events, dropped };
  }

  /** A kept event by id, with its bus name, its hop in its chain and whether rules saw it. */
  get(id: string): KeptEvent | undefined {
    const kept = this.#byId.get(id);
    return kept
      ? { event: kept.event, eventBusName: kept.eventBusName, hop: kept.hop, routed: kept.routed }
      : undefined;
  }

  /**
   * Records where a rule sent the event, replacing an earlier record of the same rule — for
   * routing done outside `addRules`. Ignored for an event no longer kept.
   */
  recordRule(eventId: string, rule: RuleOutcome): void {
    const kept = this.#byId.get(eventId);
    if (!kept) return;
    kept.rules.delete(rule.name);
    kept.rules.set(rule.name, [...rule.targets]);
  }

  /**
   * What rule targets gave up on, newest first, with how many the filter would have listed but the
   * queue forgot (`dropped`): the body of `GET /_local/dlq`. Deliveries given up because the bus
   * closed are not dead letters.
   */
  deadLetters(filter: DeadLetterFilter = {}): DeadLetterListing {
    return this.#deadLetters.list(filter);
  }

  clearDeadLetters(): void {
    this.#deadLetters.clear();
  }

  /**
   * Resolves once no accepted event is waiting to be routed and no target delivery is running or
   * waiting to retry — including deliveries of events that targets put meanwhile. With a fake
   * clock, pending retries wait for the clock to advance.
   */
  idle(): Promise<void> {
    return this.#router.idle();
  }

  /** Calls `listener` for every event accepted from now on; returns the unsubscribe function. */
  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Forgets every kept event and resets `accepted` and the listing's `dropped`; rules,
   * subscribers and dead letters stay.
   */
  clear(): void {
    this.#kept.length = 0;
    this.#byId.clear();
    this.#accepted = 0;
    this.#dropped.clear();
    this.#droppedTotal = 0;
  }

  /**
   * Stops the bus for good, so that nothing runs on after what its targets write to has closed:
   * refuses every later `put`, `runSchedule` and `startSchedules` (`LocalEventBusClosedError`);
   * stops the schedule runners; routes no event still waiting to be matched; gives up every
   * delivery waiting for its turn or a retry — recorded `failed` with error `bus closed`, not
   * dead-lettered; then waits up to `drainMs` for target calls already running to settle (one
   * that fails is not retried). Resolves once they settled or `drainMs` passed (logging a warning
   * with how many still run). Subscribers hear of nothing more. Rejects with `RangeError` for a
   * negative or infinite `drainMs`, leaving the bus open.
   *
   * Idempotent: later calls return the first call's promise, whatever their options. The listing
   * and dead letters stay readable.
   */
  close(options: LocalEventBusCloseOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    const drainMs = options.drainMs ?? 5000;
    if (!(Number.isFinite(drainMs) && drainMs >= 0)) {
      return Promise.reject(new RangeError(`drainMs must be a finite number, 0 or more, got ${drainMs}`));
    }
    for (const runner of this.#scheduleRunners) runner.abort();
    this.#scheduleRunners.clear();
    this.#router.close();
    this.#closing = this.#drain(drainMs);
    return this.#closing;
  }

  async #drain(drainMs: number): Promise<void> {
    const timer = new AbortController();
    const drained = await Promise.race([
      this.#router.idle().then(() => true),
      this.#clock.sleep(drainMs, timer.signal).then(
        () => false,
        () => true,
      ),
    ]);
    timer.abort();
    const report = this.#router.closeReport;
    if (!drained) {
      this.#logger.warn('local event bus closed with target calls still running', {
        running: this.#router.running,
        drainMs,
        ...report,
      });
      return;
    }
    this.#logger.info('local event bus closed', { ...report });
  }

  #keep(event: BusEvent, eventBusName: string, hop: number, routed: boolean): AcceptedEvent {
    const kept: Kept = { event, eventBusName, hop, routed, rules: new Map() };
    this.#kept.push(kept);
    this.#byId.set(event.id, kept);
    if (this.#kept.length > this.#capacity) {
      const forgotten = this.#kept.shift();
      if (forgotten) this.#forget(forgotten);
    }
    return { event, eventBusName, ingestedAt: this.#now(), acceptedAt: this.#clock.now() };
  }

  #forget({ event, eventBusName }: Kept): void {
    this.#byId.delete(event.id);
    const key = JSON.stringify([eventBusName, event.source, event['detail-type']]);
    const count = this.#dropped.get(key) ?? {
      eventBusName,
      source: event.source,
      detailType: event['detail-type'],
      count: 0,
    };
    count.count += 1;
    this.#dropped.set(key, count);
    this.#droppedTotal += 1;
    this.#evictionWarning.warn('local event bus full: forgot the oldest event', {
      eventId: event.id,
      eventBusName,
      source: event.source,
      detailType: event['detail-type'],
      capacity: this.#capacity,
      dropped: this.#droppedTotal,
    });
  }

  #hopOf(detail: JsonObject): number {
    const parentId = detail.source_event_id;
    const parent = typeof parentId === 'string' ? this.#byId.get(parentId) : undefined;
    const depth = detail.chain_depth;
    const claimed = typeof depth === 'number' && Number.isSafeInteger(depth) && depth > 0 ? depth : 0;
    return Math.max(parent ? parent.hop + 1 : 0, claimed);
  }

  async #runEvery(ruleName: string, intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
      this.runSchedule(ruleName);
    }
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

function matches(
  listed: { readonly eventBusName: string; readonly source: string; readonly detailType: string },
  filter: ListFilter,
): boolean {
  return (
    (filter.source === undefined || listed.source === filter.source) &&
    (filter.detailType === undefined || listed.detailType === filter.detailType) &&
    (filter.eventBusName === undefined || listed.eventBusName === filter.eventBusName)
  );
}
