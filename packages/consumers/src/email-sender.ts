/** One email to send. */
export interface OutgoingEmail {
  readonly to: string;
  readonly subject: string;
  /** Plain text body. */
  readonly text: string;
  /**
   * What makes this email unique (`confirmation:<order id>`). The sender records it with the
   * message (SES: a header; the local outbox: a field); exactly-once is the caller's job, through
   * the consumed-events store, because SES itself has no idempotency token.
   */
  readonly idempotencyKey: string;
}

/** The email-sender port: SES when deployed, the local outbox under `pnpm dev`. */
export interface EmailSender {
  /**
   * Sends one email; resolves with the provider's message id. Rejects with `EmailRejectedError`
   * when the provider refuses this message for good (an invalid recipient, a rejected message);
   * any other rejection is transient (throttling, an outage, a paused account) and worth a retry.
   */
  send(email: OutgoingEmail): Promise<{ readonly messageId: string }>;
}

/** The provider refused this message; sending it again would be refused the same way. */
export class EmailRejectedError extends Error {
  override readonly name = 'EmailRejectedError';
  constructor(
    message: string,
    /** The provider's error code (`MessageRejected`, `BadRequestException`). */
    readonly code: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
