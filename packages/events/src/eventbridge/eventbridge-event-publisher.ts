import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  backoffDelayMs,
  type Clock,
  discardMetrics,
  type Logger,
  type MetricsSink,
  type Random,
  type RetryPolicy,
  resolveRetryPolicy,
  silentLogger,
  systemClock,
  untilAborted,
} from '@mangaassist/commons';
import { type BusEventName, busEventDefinition, busEvents } from '@mangaassist/contracts';
import {
  type DomainEvent,
  EventPublishError,
  type EventPublisher,
  type PublishOptions,
  publishFailuresMetric,
} from '../event-publisher.js';
import { fitEventDetail } from '../event-truncation.js';

/** PutEvents quotas: entries per request, and bytes per request (entry sizes summed). */
export const putEventsLimits = { maxEntries: 10, maxBytes: 256 * 1024 } as const;

/**
 * Error codes a failed entry reports that no retry can fix (PutEventsResultEntry reference);
 * any other code (`ThrottlingException`, `InternalFailure`, one not known yet) is retried.
 */
const permanentEntryErrors: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

/** Whole-call errors worth another try even though the SDK calls them client faults. */
const retryableCallErrors: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * The long text fields each bus event may have cut, in the order they are cut (a dot walks into
 * an object: `data.synopsis`), when its entry would exceed 256 KB; an event with none is refused
 * as too large instead. Every event of the contract is listed, so a new one needs a decision.
 */
export const eventTruncationFields: Readonly<Record<BusEventName, readonly string[]>> = {
  ReviewSubmitted: ['review_text'],
  ModerationFlagged: ['reason', 'content_preview'],
  InferenceCompleted: ['response_summary'],
  'CatalogUpdate.*': ['data.synopsis', 'title'],
  MessageReceived: ['message'],
  PaymentCompleted: [],
  'Recommendation.Generated': [],
  // Small by design: a job's text is at the jobs API, never on the bus.
  JobCompleted: [],
  JobFailed: [],
};

/**
 * The fields an event of this source and detail type may have cut (`eventTruncationFields`);
 * none for an event outside the bus contract (the source must match too).
 */
export function truncatableEventFields(source: string, detailType: string): readonly string[] {
  const definition = busEventDefinition(source, detailType);
  if (definition === undefined) return [];
  const names = Object.keys(busEvents) as BusEventName[];
  const name = names.find((candidate) => busEvents[candidate] === definition);
  return name === undefined ? [] : eventTruncationFields[name];
}

/** Error codes this adapter assigns itself, for events it never sent. */
export const localPublishErrorCodes = {
  /**
   * The entry alone exceeds `putEventsLimits.maxBytes`, even with its cuttable fields
   * (`eventTruncationFields`) cut; the caller must shrink the detail.
   */
  tooLarge: 'EventTooLarge',
  /** `JSON.stringify(detail)` threw (a BigInt, a cycle). */
  unserializable: 'UnserializableDetail',
  /** PutEvents reported failures but no result for this entry. */
  missingResult: 'MissingResultEntry',
} as const;

export interface EventBridgeEventPublisherOptions {
  /** Name or ARN of the bus every event goes to. */
  readonly eventBusName: string;
  /**
   * Attempts per batch, the first included; a retry resends only the entries that failed.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Cap of the first retry's delay (full jitter: a random delay below it), doubling per retry.
   * @default 100
   */
  readonly baseDelayMs?: number;
  /**
   * No retry waits longer than this.
   * @default 2000
   */
  readonly maxDelayMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
  /** Receives a warning per retry. @default silentLogger */
  readonly logger?: Logger;
  /**
   * Told of every event not accepted in the end (`publishFailuresMetric`), so an alarm can say
   * so whatever the caller does with the error. @default discardMetrics
   */
  readonly metrics?: MetricsSink;
}

/**
 * PutEventsRequestEntry size as EventBridge computes it: UTF-8 bytes of Source, DetailType and
 * Detail (and of each Resources item), plus 14 bytes when Time is set. EventBusName does not
 * count ("Calculating Amazon EventBridge PutEvents event entry size", EventBridge user guide).
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

interface Prepared {
  readonly index: number;
  readonly event: DomainEvent;
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
}

interface Failure {
  readonly index: number;
  readonly event: DomainEvent;
  readonly errorCode: string;
}

/**
 * The event-publisher port on Amazon EventBridge `PutEvents`.
 *
 * - Batches in order: at most 10 entries and 256 KB (EventBridge's entry-size rule) per call;
 *   batches are sent one after another.
 * - An event whose entry alone exceeds 256 KB first has its long texts cut, only as far as
 *   needed, each ending with `…[truncated N bytes]` (`fitEventDetail`, the fields listed in
 *   `eventTruncationFields`; logged as a warning); the caller's event is not changed. One that
 *   still does not fit, or whose detail cannot be serialised, is never sent (code
 *   `EventTooLarge` / `UnserializableDetail`); the other events still are.
 * - Partial failure: only the entries that failed with a retryable code are resent, after a
 *   backoff with full jitter, up to `maxAttempts`; accepted entries are never resent. A
 *   whole-call error (throttling, 5xx, network) resends the batch; a client error (validation,
 *   access denied, unknown bus) does not.
 * - `publish` rejects with `EventPublishError` listing exactly the events not accepted, in input
 *   order, each with the bus's (or the adapter's) error code.
 *
 * - `options.signal` (the caller's deadline) goes to every call as its `abortSignal`; once it
 *   aborts, the call in flight is abandoned, no retry, backoff or later batch follows, and
 *   `publish` rejects with the signal's reason (not `EventPublishError`). Give the SDK client
 *   request timeouts too: the signal bounds this call, the timeouts bound each attempt.
 *
 * These retries add to the SDK client's own retries of whole-call errors. Delivery is
 * at-least-once: an entry EventBridge accepted but reported ambiguously may be sent twice, so
 * consumers must be idempotent.
 *
 * @example
 * const publisher = new EventBridgeEventPublisher(new EventBridgeClient({}), { eventBusName: 'MangaAssist-AI-Events' });
 * await publisher.publish([{ source: 'mangaassist.ai', detailType: 'InferenceCompleted', detail }]);
 */
export class EventBridgeEventPublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #metrics: MetricsSink;

  /** Throws `RangeError` for an invalid retry setting and `Error` for an empty bus name. */
  constructor(client: EventBridgeClient, options: EventBridgeEventPublisherOptions) {
    if (options.eventBusName.trim() === '') throw new Error('eventBusName must not be empty');
    this.#client = client;
    this.#eventBusName = options.eventBusName;
    this.#policy = resolveRetryPolicy({
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
      ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
    });
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? discardMetrics;
  }

  async publish(events: readonly DomainEvent[], options: PublishOptions = {}): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    const failures: Failure[] = [];
    const sendable: Prepared[] = [];
    events.forEach((event, index) => {
      const prepared = this.#prepare(event, index);
      if ('errorCode' in prepared) failures.push(prepared);
      else sendable.push(prepared);
    });
    for (const batch of toBatches(sendable)) {
      signal?.throwIfAborted();
      failures.push(...(await this.#sendBatch(batch, signal)));
    }
    if (failures.length === 0) return;

    this.#countFailures(failures.length);
    failures.sort((a, b) => a.index - b.index);
    const codes = new Map<string, number>();
    for (const { errorCode } of failures) codes.set(errorCode, (codes.get(errorCode) ?? 0) + 1);
    const summary = [...codes].map(([code, count]) => `${code} ×${count}`).join(', ');
    throw new EventPublishError(
      `${failures.length} of ${events.length} events were not accepted by event bus ${this.#eventBusName}: ${summary}`,
      failures.map(({ event, errorCode }) => ({ event, errorCode })),
    );
  }

  #countFailures(count: number): void {
    try {
      this.#metrics.emit({
        namespace: publishFailuresMetric.namespace,
        dimensions: { EventBusName: this.#eventBusName },
        metrics: [{ name: publishFailuresMetric.name, unit: 'Count', value: count }],
      });
    } catch (error) {
      this.#logger.error('could not count the events not published', { error: String(error) });
    }
  }

  #prepare(event: DomainEvent, index: number): Prepared | Failure {
    let detail: string | undefined;
    try {
      detail = JSON.stringify(event.detail);
    } catch {
      detail = undefined;
    }
    if (detail === undefined) return { index, event, errorCode: localPublishErrorCodes.unserializable };
    const entry: PutEventsRequestEntry = {
      Source: event.source,
      DetailType: event.detailType,
      Detail: detail,
      EventBusName: this.#eventBusName,
      ...(event.time === undefined ? {} : { Time: event.time }),
    };
    const size = putEventsEntrySize(entry);
    if (size <= putEventsLimits.maxBytes) return { index, event, entry, size };
    const fitted = this.#fit(event, entry);
    if (fitted === undefined) return { index, event, errorCode: localPublishErrorCodes.tooLarge };
    return { index, event, entry: fitted.entry, size: fitted.size };
  }

  /**
   * The entry with its event's cuttable fields cut to fit `putEventsLimits.maxBytes`, or
   * `undefined` when that is not enough (or nothing may be cut).
   */
  #fit(
    event: DomainEvent,
    entry: PutEventsRequestEntry,
  ): { entry: PutEventsRequestEntry; size: number } | undefined {
    const fields = truncatableEventFields(event.source, event.detailType);
    if (fields.length === 0) return undefined;
    let fitted: ReturnType<typeof fitEventDetail<Record<string, unknown>>>;
    try {
      fitted = fitEventDetail(event.detail, {
        source: event.source,
        detailType: event.detailType,
        fields,
        maxEntryBytes: putEventsLimits.maxBytes,
      });
    } catch {
      return undefined; // a detail that serialised once and not twice (a throwing toJSON)
    }
    if (!fitted.fits) return undefined;
    const cut = { ...entry, Detail: JSON.stringify(fitted.detail) };
    const size = putEventsEntrySize(cut);
    if (size > putEventsLimits.maxBytes) return undefined;
    this.#logger.warn('event detail over 256 KB; long text fields truncated to fit', {
      eventBusName: this.#eventBusName,
      source: event.source,
      detailType: event.detailType,
      truncated: fitted.truncated.map((field) => field.field),
      removedBytes: fitted.truncated.reduce((sum, field) => sum + field.removedBytes, 0),
      entryBytes: size,
    });
    return { entry: cut, size };
  }

  /**
   * Sends one batch with retries; resolves with the entries that were finally not accepted, or
   * rejects with the signal's reason once it aborts.
   */
  async #sendBatch(batch: readonly Prepared[], signal: AbortSignal | undefined): Promise<Failure[]> {
    const settled: Failure[] = [];
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      let failed: Failure[];
      try {
        const command = new PutEventsCommand({ Entries: pending.map((item) => item.entry) });
        const response = await untilAborted(
          signal === undefined
            ? this.#client.send(command)
            : this.#client.send(command, { abortSignal: signal }),
          signal,
        );
        failed = failedEntries(pending, response);
      } catch (error) {
        // The SDK's AbortError (or a late failure) is not a bus failure: the caller ended the call.
        signal?.throwIfAborted();
        const errorCode = errorName(error);
        failed = pending.map(({ index, event }) => ({ index, event, errorCode }));
        if (!isRetryableCallError(error)) return [...settled, ...failed];
      }
      if (failed.length === 0) return settled;

      const retryable = failed.filter((failure) => !permanentEntryErrors.has(failure.errorCode));
      settled.push(...failed.filter((failure) => permanentEntryErrors.has(failure.errorCode)));
      if (retryable.length === 0 || attempt >= this.#policy.maxAttempts) return [...settled, ...retryable];

      const retryIndexes = new Set(retryable.map((failure) => failure.index));
      pending = pending.filter((item) => retryIndexes.has(item.index));
      const delayMs = backoffDelayMs(attempt - 1, this.#policy, this.#random);
      this.#logger.warn('PutEvents entries not accepted; retrying them', {
        eventBusName: this.#eventBusName,
        attempt,
        retrying: retryable.length,
        errorCodes: [...new Set(retryable.map((failure) => failure.errorCode))],
        delayMs: Math.round(delayMs),
      });
      await this.#clock.sleep(delayMs, signal);
      signal?.throwIfAborted(); // a clock that ignores the signal still stops the retry
    }
  }
}

/** Splits entries, in order, into requests within both PutEvents limits. */
function toBatches(items: readonly Prepared[]): Prepared[][] {
  const batches: Prepared[][] = [];
  let current: Prepared[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length === putEventsLimits.maxEntries || bytes + item.size > putEventsLimits.maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The entries PutEvents did not accept. Results come back in request order; an entry
 * succeeded when its result has an EventId and no ErrorCode. When the response reports no
 * failure at all, every entry was accepted even if the results are absent.
 */
function failedEntries(pending: readonly Prepared[], response: PutEventsCommandOutput): Failure[] {
  const results = response.Entries ?? [];
  const anyFailed = (response.FailedEntryCount ?? 0) > 0 || results.some((result) => result.ErrorCode);
  if (!anyFailed) return [];
  return pending.flatMap(({ index, event }, position) => {
    const result = results[position];
    if (result?.ErrorCode) return [{ index, event, errorCode: result.ErrorCode }];
    if (result?.EventId) return [];
    return [{ index, event, errorCode: localPublishErrorCodes.missingResult }];
  });
}

function errorName(error: unknown): string {
  return error instanceof Error && error.name !== '' ? error.name : 'UnknownError';
}

/**
 * Throttling, server faults and errors without an AWS fault (network resets, timeouts) are
 * retried; other client faults (ValidationException, AccessDeniedException,
 * ResourceNotFoundException for a missing bus) would fail the same way again.
 */
function isRetryableCallError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (retryableCallErrors.has(error.name)) return true;
  if ('$retryable' in error && error.$retryable !== undefined) return true;
  return !('$fault' in error) || error.$fault !== 'client';
}
