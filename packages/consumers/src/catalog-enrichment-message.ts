import {
  type CatalogUpdateDetail,
  catalogEnrichmentMessageSchema,
  catalogUpdateId,
  eventSources,
} from '@mangaassist/contracts';
import type { BusEventEnvelope } from './event-consumer.js';

/** What a catalog enrichment message is: the catalog update it carries, or why it is none. */
export type CatalogEnrichmentReading =
  | { readonly ok: true; readonly event: BusEventEnvelope }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the body of a catalog enrichment queue message (`catalogEnrichmentMessageSchema`) as the
 * `CatalogUpdate.<update_type>` envelope the `catalog-enrichment` consumer takes: its id is the
 * update's (`catalogUpdateId`, the same for every copy of the item), its time `sentAt` — when
 * the queue accepted it, epoch ms — and its detail the catalog update, `processing_stage: raw`.
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
  if (!Number.isFinite(sentAt) || sentAt < 0) {
    return { ok: false, reason: `no time the message was sent (${sentAt})` };
  }
  const message = parsed.data;
  const detail: CatalogUpdateDetail = {
    batch_id: message.batch_id,
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
      time: new Date(sentAt).toISOString(),
      resources: [],
      detail,
    },
  };
}
