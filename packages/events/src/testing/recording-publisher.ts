import { type DomainEvent, EventPublishError, type EventPublisher } from '../event-publisher.js';

/**
 * An in-memory `EventPublisher`: `calls` holds each `publish` call's events, `signals` each
 * call's abort signal (undefined when none was passed), `published` every accepted event.
 * A call whose signal has aborted rejects with its reason, as the EventBridge adapter does. `reject(events, call)` may name events the bus does not accept (by index in
 * that call, with an error code); they are left out of `published` and the call rejects with
 * `EventPublishError`, as the EventBridge adapter does after its retries.
 */
export function recordingPublisher(
  reject: (events: readonly DomainEvent[], call: number) => ReadonlyMap<number, string> | undefined = () =>
    undefined,
) {
  const calls: DomainEvent[][] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const published: DomainEvent[] = [];
  const publisher: EventPublisher = {
    async publish(events, options) {
      const call = calls.push([...events]);
      signals.push(options?.signal);
      const refused = reject(events, call) ?? new Map<number, string>();
      const failed = events.flatMap((event, index) => {
        const errorCode = refused.get(index);
        if (errorCode === undefined) published.push(event);
        return errorCode === undefined ? [] : [{ event, errorCode }];
      });
      options?.signal?.throwIfAborted();
      if (failed.length > 0) {
        throw new EventPublishError(`${failed.length} of ${events.length} events were not accepted`, failed);
      }
    },
  };
  return { publisher, calls, signals, published };
}
