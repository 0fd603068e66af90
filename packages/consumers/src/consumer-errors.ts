/**
 * A failure worth another delivery: a model that did not answer, a store or the bus unreachable,
 * another attempt holding the event. The consumer wrapper releases its claim and rethrows it, so
 * the invocation fails, EventBridge (or Lambda's asynchronous invocation) retries, and the DLQ
 * keeps the event once the retries are spent. Any error that is not a `PermanentConsumerError`
 * is treated the same way.
 */
export class TransientConsumerError extends Error {
  override readonly name: string = 'TransientConsumerError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A failure no retry can fix: an event that breaks its contract, a model answer that cannot be
 * used, a message the email service refuses. The consumer wrapper records it (logged as an error
 * and stored as the event's outcome, so a redelivery is answered as a duplicate) and
 * acknowledges the event instead of throwing.
 */
export class PermanentConsumerError extends Error {
  override readonly name: string = 'PermanentConsumerError';
  constructor(
    message: string,
    /** A short machine-readable reason for the stored outcome (`unparseable-tags`). */
    readonly reason: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A consumer tried to emit an event it may not (`consumerEmissions`), or one that breaks its
 * schema: a bug, never acknowledged — it fails like a transient error so the event waits in the
 * DLQ for a fixed consumer instead of being lost.
 */
export class EmissionNotAllowedError extends Error {
  override readonly name = 'EmissionNotAllowedError';
}

/**
 * The email service may or may not have accepted an email: the request went out and no answer
 * came back (a timeout, a connection reset while waiting). Sending it again could deliver a second
 * copy, so an `EmailSender` reports this instead of retrying, and the caller records the outcome
 * as unknown for an operator rather than resending. Belongs to the `EmailSender` port's contract.
 */
export class EmailOutcomeUnknownError extends Error {
  override readonly name = 'EmailOutcomeUnknownError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}
