import {
  catalogUpdateDetailSchema,
  eventSources,
  paymentCompletedDetailSchema,
  reviewSubmittedDetailSchema,
} from '@mangaassist/contracts';
import type { DomainEvent } from '@mangaassist/events';
import type * as z from 'zod/mini';

/** The events the webhooks publish: source, detail type and the schema every detail must pass. */
export const webhookEvents = {
  paymentCompleted: {
    source: eventSources.payments,
    detailType: 'PaymentCompleted',
    schema: paymentCompletedDetailSchema,
  },
  reviewSubmitted: {
    source: eventSources.reviews,
    detailType: 'ReviewSubmitted',
    schema: reviewSubmittedDetailSchema,
  },
  catalogUpdate: {
    source: eventSources.catalog,
    /** Suffixed with the item's update type: `CatalogUpdate.restock`. */
    detailType: 'CatalogUpdate',
    schema: catalogUpdateDetailSchema,
  },
} as const;

/** A detail this platform built that fails its own contract: a bug, never the sender's fault. */
export class EventContractError extends Error {
  override readonly name = 'EventContractError';

  constructor(
    readonly detailType: string,
    readonly error: z.core.$ZodError,
  ) {
    super(
      `${detailType} detail breaks its contract: ${error.issues.map((issue) => issue.message).join('; ')}`,
    );
  }
}

/**
 * The event for `detail` after validating it against the contract; the event carries the parsed
 * detail (keys the schema does not know are dropped). Throws `EventContractError` when it fails.
 */
export function contractEvent<S extends z.ZodMiniType<Record<string, unknown>>>(
  definition: { readonly source: string; readonly schema: S },
  detailType: string,
  detail: z.input<S>,
): DomainEvent {
  const parsed = definition.schema.safeParse(detail);
  if (!parsed.success) throw new EventContractError(detailType, parsed.error);
  return { source: definition.source, detailType, detail: parsed.data };
}
