/** An event for the bus, before the transport adds its envelope. */
export interface DomainEvent {
  /** `mangaassist.ai`, `mangaassist.chat`, … */
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time?: Date;
}

/** What a caller may add to one `publish` call. */
export interface PublishOptions {
  /**
   * Ends the call early: pending requests are aborted, no retry or backoff follows, and
   * `publish` rejects with the signal's reason. Events already accepted stay on the bus, and one
   * whose request was cut off may or may not be there (at-least-once: the caller's retry may
   * publish it again).
   * @default - the call ends only when the adapter's own retries do
   */
  readonly signal?: AbortSignal;
}

/**
 * The event-publisher port. `publish` resolves when every event was accepted by the bus and
 * rejects with `EventPublishError` naming the events that were not, after the adapter's own
 * retries — or with `options.signal`'s reason as soon as that aborts. Work bounded by a deadline
 * (a webhook delivery) must pass its signal, or a stalled bus outlives the deadline. Callers that
 * must never fail on publishing (the gateway) catch and log.
 */
export interface EventPublisher {
  publish(events: readonly DomainEvent[], options?: PublishOptions): Promise<void>;
  /**
   * Sends at once what a publisher holds back (a batching one); resolves when all it sent has
   * settled and never rejects. Publishers that send as they are called have none.
   */
  flush?(): Promise<void>;
}

export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
  constructor(
    message: string,
    /** The events that were not accepted, with the bus's error code for each. */
    readonly failed: readonly { readonly event: DomainEvent; readonly errorCode: string }[],
  ) {
    super(message);
  }
}

/** `MangaAssist/Events` `PublishFailures` (dimension `EventBusName`): events a publish gave up on. */
export const publishFailuresMetric = { namespace: 'MangaAssist/Events', name: 'PublishFailures' } as const;
