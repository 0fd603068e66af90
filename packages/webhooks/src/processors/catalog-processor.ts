import {
  type CatalogEnrichmentMessage,
  type CatalogUpdateDetail,
  type catalogBatchSchema,
  catalogEnrichmentMessage,
} from '@mangaassist/contracts';
import { type DomainEvent, EventPublishError, type EventPublisher } from '@mangaassist/events';
import type * as z from 'zod/mini';
import {
  type CatalogEnrichmentQueue,
  catalogEnrichmentBatchLimit,
  catalogEnrichmentGroupId,
  type RefusedCatalogEnrichmentMessage,
} from '../catalog-enrichment-queue.js';
import type { WebhookProcessor } from '../webhook-processor.js';
import { contractEvent, webhookEvents } from './webhook-events.js';

export type CatalogBatch = z.output<typeof catalogBatchSchema>;

/** Error code, in the thrown error, of events or messages left unsent after another request failed. */
export const notAttemptedErrorCode = 'NotAttempted';

export interface CatalogProcessorOptions {
  /** Where the `CatalogUpdate.*` events go. */
  readonly events: EventPublisher;
  /** Where each item goes for its enrichment, in catalog order per product. */
  readonly enrichment: CatalogEnrichmentQueue;
  /**
   * Events per `publish` call. With the EventBridge publisher, 10 makes each call one PutEvents
   * request (fewer if the details exceed 256 KB together).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * `publish` calls in flight at once, and as many enrichment lanes (each sending its products'
   * messages one request after another): a 10 000-item catalog is 1 000 requests of each, too
   * slow one after another for the sender's timeout.
   * @default 4
   */
  readonly concurrency?: number;
}

/**
 * The catalog webhook processor (seed 000 §5.1, fixed): for every item — where the seed silently
 * dropped all after the tenth —
 *
 * - one `mangaassist.catalog` / `CatalogUpdate.{update_type}` event, published in batches through
 *   the event publisher, which resends only the entries the bus did not accept;
 * - one message on the catalog enrichment queue (`catalogEnrichmentMessage`: the item, its batch
 *   and its index), in the batch's order per product. EventBridge keeps no order, so the order is
 *   set here, where it is known: the items are dealt to `concurrency` lanes by product, each lane
 *   sends its messages in item order, one request after another, never two of one product in a
 *   request — so a product's next message leaves only once the previous one is accepted, and an
 *   update never overtakes a discontinuation sent after it.
 *
 * Failure semantics: if any event or message is still not accepted after the adapters' retries,
 * no new request is started on either side, the ones in flight finish, and the processor
 * rejects — with an `EventPublishError` listing every event not on the bus (bus error codes, and
 * `NotAttempted` for the batches never sent), or, the bus being whole, a
 * `CatalogEnrichmentQueueError` listing the messages not queued. A lane stops at its first
 * refusal, so what a product got queued is always a prefix of its updates, in order. The
 * delivery is then not acknowledged, the claim is released, and the sender's retry processes
 * the whole catalog again: events already on the bus are published a second time (consumers
 * deduplicate on `batch_id` + `product_id` + `update_type`, which every detail carries), while
 * messages already queued are dropped by the queue's content-based deduplication within 5
 * minutes, and by the enrichment's idempotency on `batch_id` + `item_index` after that. Every
 * request runs under the delivery's signal; once it aborts, nothing more is started and the
 * processor rejects with the signal's reason (the receiver answers 503 `processing_timed_out`).
 */
export function makeCatalogProcessor(options: CatalogProcessorOptions): WebhookProcessor<CatalogBatch> {
  const batchSize = positiveInteger('batchSize', options.batchSize ?? 10);
  const concurrency = positiveInteger('concurrency', options.concurrency ?? 4);

  return async (payload, context) => {
    const { catalogUpdate } = webhookEvents;
    const events = payload.items.map((item) => {
      const detail: CatalogUpdateDetail = {
        batch_id: payload.batch_id,
        product_id: item.product_id,
        title: item.title,
        update_type: item.update_type,
        data: item.data,
        processing_stage: 'raw',
      };
      return contractEvent(catalogUpdate, `${catalogUpdate.detailType}.${item.update_type}`, detail);
    });
    const messages = payload.items.map((item, index) =>
      catalogEnrichmentMessage(payload.batch_id, index, item),
    );

    // Either side's first failure stops both: the delivery is retried whole anyway.
    const halt = { halted: false };
    const [published, queued] = await Promise.all([
      publishAll(options.events, chunk(events, batchSize), concurrency, context.signal, halt),
      enqueueAll(options.enrichment, lanesOf(messages, concurrency), context.signal, halt),
    ]);

    const busWhole = published.failed.length === 0 && published.unsent.length === 0;
    const queueWhole = queued.refused.length === 0 && queued.unsent.length === 0;
    if (busWhole && queueWhole) {
      return {
        status: 'processed',
        events: events.length,
        detail: {
          batch_id: payload.batch_id,
          items: payload.items.length,
          update_types: countTypes(payload),
          enrichment_queued: messages.length,
        },
      };
    }
    // Aborted: what the adapters threw is a consequence of the abort, not their failure.
    if (context.signal.aborted) throw context.signal.reason;
    const notQueued = queued.refused.length + queued.unsent.length;
    const notPublished = published.failed.length + published.unsent.length;
    // The side that failed names the error; the other only stopped because of it.
    if (published.failed.length > 0 || queued.refused.length === 0) {
      throw new EventPublishError(
        `${notPublished} of ${events.length} catalog events of batch ${payload.batch_id} are not on the bus ` +
          `(${published.failed.length} not accepted, ${published.unsent.length} not attempted` +
          `${notQueued > 0 ? `; ${notQueued} not queued for enrichment` : ''}); the delivery must be retried`,
        [
          ...published.failed,
          ...published.unsent.map((event) => ({ event, errorCode: notAttemptedErrorCode })),
        ],
      );
    }
    throw new CatalogEnrichmentQueueError(
      `${notQueued} of ${messages.length} items of batch ${payload.batch_id} are not queued for enrichment ` +
        `(${queued.refused.length} not accepted, ${queued.unsent.length} not attempted` +
        `${notPublished > 0 ? `; ${notPublished} catalog events not published` : ''}); the delivery must be retried`,
      [...queued.refused, ...queued.unsent.map((message) => ({ message, errorCode: notAttemptedErrorCode }))],
    );
  };
}

/** Messages not queued for enrichment: the delivery failed and must be retried. */
export class CatalogEnrichmentQueueError extends Error {
  override readonly name = 'CatalogEnrichmentQueueError';
  constructor(
    message: string,
    /** The messages not queued, with the queue's error code (`NotAttempted`: never sent). */
    readonly failed: readonly RefusedCatalogEnrichmentMessage[],
  ) {
    super(message);
  }
}

interface Halt {
  halted: boolean;
}

/** Publishes the batches, `concurrency` at a time; what was not accepted, or not attempted. */
async function publishAll(
  publisher: EventPublisher,
  batches: readonly DomainEvent[][],
  concurrency: number,
  signal: AbortSignal,
  halt: Halt,
): Promise<{ failed: { event: DomainEvent; errorCode: string }[]; unsent: DomainEvent[] }> {
  const failed: { event: DomainEvent; errorCode: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!halt.halted && !signal.aborted && next < batches.length) {
      const batch = batches[next++] ?? [];
      try {
        await publisher.publish(batch, { signal });
      } catch (error) {
        halt.halted = true;
        if (error instanceof EventPublishError) failed.push(...error.failed);
        else failed.push(...batch.map((event) => ({ event, errorCode: errorName(error) })));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return { failed, unsent: batches.slice(next).flat() };
}

/**
 * Sends each lane's messages in order, one request after another, the lanes side by side; a lane
 * stops at its first refusal. What was not accepted, and what was not attempted.
 */
async function enqueueAll(
  queue: CatalogEnrichmentQueue,
  lanes: readonly CatalogEnrichmentMessage[][],
  signal: AbortSignal,
  halt: Halt,
): Promise<{ refused: RefusedCatalogEnrichmentMessage[]; unsent: CatalogEnrichmentMessage[] }> {
  const refused: RefusedCatalogEnrichmentMessage[] = [];
  const unsent: CatalogEnrichmentMessage[] = [];
  const lane = async (messages: readonly CatalogEnrichmentMessage[]): Promise<void> => {
    const requests = requestsOf(messages);
    let next = 0;
    while (!halt.halted && !signal.aborted && next < requests.length) {
      const request = requests[next++] ?? [];
      try {
        const notAccepted = await queue.send(request, { signal });
        if (notAccepted.length > 0) {
          halt.halted = true;
          refused.push(...notAccepted);
        }
      } catch (error) {
        halt.halted = true;
        refused.push(...request.map((message) => ({ message, errorCode: errorName(error) })));
      }
    }
    unsent.push(...requests.slice(next).flat());
  };
  await Promise.all(lanes.map(lane));
  return { refused, unsent };
}

/** The messages dealt to `count` lanes by product, each lane in item order (empty lanes dropped). */
function lanesOf(messages: readonly CatalogEnrichmentMessage[], count: number): CatalogEnrichmentMessage[][] {
  const lanes = Array.from({ length: count }, (): CatalogEnrichmentMessage[] => []);
  for (const message of messages) lanes[laneIndex(message.product_id, count)]?.push(message);
  return lanes.filter((lane) => lane.length > 0);
}

/** A product's lane: FNV-1a over its id, so every message of one product takes the same lane. */
function laneIndex(productId: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < productId.length; index++) {
    hash ^= productId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/**
 * A lane's messages as requests, in order: a request ends at the limit or before a second message
 * of a product it already carries, which must wait until the first is accepted.
 */
function requestsOf(messages: readonly CatalogEnrichmentMessage[]): CatalogEnrichmentMessage[][] {
  const requests: CatalogEnrichmentMessage[][] = [];
  let current: CatalogEnrichmentMessage[] = [];
  let groups = new Set<string>();
  for (const message of messages) {
    const group = catalogEnrichmentGroupId(message.product_id);
    if (current.length === catalogEnrichmentBatchLimit || groups.has(group)) {
      requests.push(current);
      current = [];
      groups = new Set();
    }
    current.push(message);
    groups.add(group);
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function countTypes(payload: CatalogBatch): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { update_type } of payload.items) counts[update_type] = (counts[update_type] ?? 0) + 1;
  return counts;
}

function errorName(error: unknown): string {
  return error instanceof Error && error.name !== '' ? error.name : 'UnknownError';
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
