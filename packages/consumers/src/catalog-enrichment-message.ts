import {
  catalogEnrichmentMessageSchema,
  catalogUpdateDetailSchema,
  catalogUpdateId,
  eventSources,
} from '@mangaassist/contracts';
import * as z from 'zod/mini';
import type { BusEventEnvelope } from './event-consumer.js';

/**
 * The detail of a catalog update read from the catalog enrichment queue: the bus's
 * `CatalogUpdate.*` detail and the item's place in its batch (`item_index`), which orders the
 * updates of one batch (they share its time).
 */
export const catalogEnrichmentDetailSchema = z.object({
  ...catalogUpdateDetailSchema.shape,
  item_index: catalogEnrichmentMessageSchema.shape.item_index,
});
export type CatalogEnrichmentDetail = z.output<typeof catalogEnrichmentDetailSchema>;

/** What a catalog enrichment message is: the catalog update it carries, or why it is none. */
export type CatalogEnrichmentReading =
  | { readonly ok: true; readonly event: BusEventEnvelope }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the body of a catalog enrichment queue message (`catalogEnrichmentMessageSchema`) as the
 * `CatalogUpdate.<update_type>` envelope the `catalog-enrichment` consumer takes: its id is the
 * update's (`catalogUpdateId`: the same for every copy of the item, another for a new acceptance
 * of its batch), its time `first_seen_at` — when the catalog webhook first took up the batch, the
 * same however often and however late the message is sent (a retried delivery, a redrive from the
 * dead-letter queue) — and its detail the catalog update with its `item_index`
 * (`catalogEnrichmentDetailSchema`), `processing_stage: raw`. A message queued before
 * `first_seen_at` existed is timed by `sentAt` (its SQS `SentTimestamp`, epoch ms) instead.
 * Never throws: a body that is not JSON, or not such a message, gives the reason.
 */
export function readCatalogEnrichmentMessage(body: string, sentAt: number): CatalogEnrichmentReading {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const parsed = catalogEnrichmentMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { ok: false, reason: `not a catalog enrichment message (${issues.join('; ')})` };
  }
  const message = parsed.data;
  if (message.first_seen_at === undefined && !(Number.isFinite(sentAt) && sentAt >= 0)) {
    return {
      ok: false,
      reason: `no time the message was sent (${sentAt}), nor when its batch was first seen`,
    };
  }
  const detail: CatalogEnrichmentDetail = {
    batch_id: message.batch_id,
    item_index: message.item_index,
    product_id: message.product_id,
    title: message.title,
    update_type: message.update_type,
    data: message.data,
    processing_stage: 'raw',
  };
  return {
    ok: true,
    event: {
      version: '0',
      id: catalogUpdateId(message),
      'detail-type': `CatalogUpdate.${message.update_type}`,
      source: eventSources.catalog,
      time: message.first_seen_at ?? new Date(sentAt).toISOString(),
      resources: [],
      detail,
    },
  };
}
