/** An event for the bus, before the transport adds its envelope. */
export interface DomainEvent {
  /** `mangaassist.ai`, `mangaassist.chat`, … */
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time?: Date;
}

/**
 * The event-publisher port. `publish` resolves when every event was accepted by the bus and
 * rejects with `EventPublishError` naming the events that were not, after the adapter's own
 * retries. Callers that must never fail on publishing (the gateway) catch and log.
 */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
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
