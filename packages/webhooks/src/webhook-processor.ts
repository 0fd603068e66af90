import type { WebhookSource } from '@mangaassist/contracts';

export interface WebhookContext {
  readonly source: WebhookSource;
  /** The delivery's id (Stripe `id`, `review_id`, `batch_id`, or Standard Webhooks' `webhook-id`). */
  readonly eventId: string;
  readonly requestId: string;
  readonly signal: AbortSignal;
}

/** What processing produced, stored as the delivery's summary and answered to duplicates. */
export interface WebhookOutcome {
  /** `processed` or `ignored` (an event type the platform does not act on, acknowledged). */
  readonly status: 'processed' | 'ignored';
  /** Events published to the bus. */
  readonly events: number;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * Processes one verified, schema-valid delivery (its payload already parsed). Throws when the
 * delivery could not be processed in full — the claim is then released and the sender's retry
 * processes it again; it never partially acknowledges.
 */
export type WebhookProcessor<P> = (payload: P, context: WebhookContext) => Promise<WebhookOutcome>;
