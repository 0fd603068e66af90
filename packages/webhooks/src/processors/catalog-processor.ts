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
  catalogEnrichmentBatchBytes,
  catalogEnrichmentBatchLimit,
  catalogEnrichmentFifoMessage,
  catalogEnrichmentGroupId,
  isInvalidMessageError,
  type RefusedCatalogEnrichmentMessage,
} from '../catalog-enrichment-queue.js';
import type { CatalogFirstSeenStore } from '../catalog-first-seen.js';
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
   * When each batch was first taken up: its enrichment messages' `first_seen_at`, the same on
   * every retry of a delivery (`IdempotencyCatalogFirstSeenStore` in the deliveries' store).
   */
  readonly firstSeen: CatalogFirstSeenStore;
  /**
   * Events per `publish` call. With the EventBridge publisher, 10 makes each call one PutEvents
   * request (fewer if the details exceed 256 KB together).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * `publish` calls in flight at once, and as many enrichment requests: a 10 000-item catalog is
   * 1 000 requests of each, too slow one after another for the sender's timeout.
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
 * - one message on the catalog enrichment queue (`catalogEnrichmentMessage`: the item, its batch,
 *   its index and when the batch was first seen), in the batch's order per product. EventBridge
 *   keeps no order, so the order is set here, where it is known: each product's messages wait in
 *   item order, and each request takes the next message of up to 10 products (and 256 KiB) that
 *   have none in flight, those with the most messages first (the longest run sets the pace);
 *   `concurrency` requests go at once. So a product's next message leaves only once the previous
 *   one is accepted, and an update never overtakes a discontinuation sent after it — while a
 *   batch of few products still fills its requests (100 updates of 10 products: 10 requests).
 *
 * First of all it asks when the batch was first seen (`options.firstSeen`): recorded by the first
 * attempt, the same for every retry, it is the messages' place in the catalog's order and their
 * acceptance, so the consumer orders by it (never by when SQS received a message) and enriches a
 * batch the webhook accepts again after forgetting it. It is in the outcome as `first_seen_at`.
 * When it cannot be had, nothing is sent and the processor rejects with that error (the
 * store's `IdempotencyUnavailableError`: 503).
 *
 * Failure semantics: if any event or message is still not accepted after the adapters' retries,
 * no new request is started on either side, the ones in flight finish, and the processor
 * rejects — with a `CatalogEnrichmentQueueError` when the queue refused a message as invalid
 * (`invalid`: no retry can queue it, whatever the bus did), else with an `EventPublishError`
 * listing every event not on the bus (bus error codes, and `NotAttempted` for the batches never
 * sent), or, the bus being whole, a `CatalogEnrichmentQueueError` listing the messages not queued.
 * A product's messages stop at its first refusal, so what a product got queued is always a prefix
 * of its updates, in order. The delivery is then not acknowledged, the claim is released, and the
 * sender's retry processes the whole catalog again: events already on the bus are published a
 * second time (consumers deduplicate on `batch_id` + `product_id` + `update_type`, which every
 * detail carries), while messages already queued — the same bodies, `first_seen_at` included —
 * are dropped by the queue's content-based deduplication within 5 minutes, and by the
 * enrichment's idempotency on `catalogUpdateId` after that. Every request runs under the
 * delivery's signal; once it aborts, nothing more is started and the processor rejects with the
 * signal's reason (the receiver answers 503 `processing_timed_out`).
 */
export function makeCatalogProcessor(options: CatalogProcessorOptions): WebhookProcessor<CatalogBatch> {
  const batchSize = positiveInteger('batchSize', options.batchSize ?? 10);
  const concurrency = positiveInteger('concurrency', options.concurrency ?? 4);

  return async (payload, context) => {
    const firstSeenAt = await options.firstSeen.firstSeen(payload.batch_id);
    context.signal.throwIfAborted();
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
      catalogEnrichmentMessage(payload.batch_id, index, item, firstSeenAt),
    );

    // Either side's first failure stops both: the delivery is retried whole anyway.
    const halt = { halted: false };
    const [published, queued] = await Promise.all([
      publishAll(options.events, chunk(events, batchSize), concurrency, context.signal, halt),
      enqueueAll(options.enrichment, messages, concurrency, context.signal, halt),
    ]);

    const busWhole = published.failed.length === 0 && published.unsent.length === 0;
    const queueWhole = queued.refused.length === 0 && queued.unsent.length === 0;
    if (busWhole && queueWhole) {
      return {
        status: 'processed',
        events: events.length,
        detail: {
          batch_id: payload.batch_id,
          first_seen_at: firstSeenAt,
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
    const invalid = queued.refused.some((refusal) => isInvalidMessageError(refusal.errorCode));
    // The side that failed names the error; the other only stopped because of it. A message the
    // queue can never take decides, whatever the bus did: no retry can make the delivery whole.
    if (!invalid && (published.failed.length > 0 || queued.refused.length === 0)) {
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
        `${notPublished > 0 ? `; ${notPublished} catalog events not published` : ''}); ` +
        (invalid ? 'the queue refused some as invalid' : 'the delivery must be retried'),
      [...queued.refused, ...queued.unsent.map((message) => ({ message, errorCode: notAttemptedErrorCode }))],
    );
  };
}

/**
 * Messages not queued for enrichment: the delivery failed. When the queue refused some as invalid
 * (`invalid` is not empty) no retry of the same batch can succeed; else the delivery must be
 * retried.
 */
export class CatalogEnrichmentQueueError extends Error {
  override readonly name = 'CatalogEnrichmentQueueError';
  constructor(
    message: string,
    /** The messages not queued, with the queue's error code (`NotAttempted`: never sent). */
    readonly failed: readonly RefusedCatalogEnrichmentMessage[],
  ) {
    super(message);
  }

  /** The messages the queue refused for what they are (`isInvalidMessageError`): retrying cannot help. */
  get invalid(): readonly RefusedCatalogEnrichmentMessage[] {
    return this.failed.filter((failure) => isInvalidMessageError(failure.errorCode));
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

/** A message waiting to be sent, with its product's group and its body's size. */
interface Outgoing {
  readonly message: CatalogEnrichmentMessage;
  readonly group: string;
  readonly bytes: number;
}

/**
 * Sends the messages, each product's in item order and only once its previous one is accepted:
 * each request takes the next message of up to 10 products (and `catalogEnrichmentBatchBytes`)
 * with none in flight, in the order of the products' message counts at the start (the most first);
 * `concurrency` requests at once.
 * A refusal halts everything (a product's later messages stay unsent). What was not accepted, and
 * what was not attempted, in item order.
 */
async function enqueueAll(
  queue: CatalogEnrichmentQueue,
  messages: readonly CatalogEnrichmentMessage[],
  concurrency: number,
  signal: AbortSignal,
  halt: Halt,
): Promise<{ refused: RefusedCatalogEnrichmentMessage[]; unsent: CatalogEnrichmentMessage[] }> {
  const byGroup = new Map<string, Outgoing[]>();
  for (const message of messages) {
    const group = catalogEnrichmentGroupId(message.product_id);
    const bytes = Buffer.byteLength(catalogEnrichmentFifoMessage(message).body, 'utf8');
    const waiting = byGroup.get(group);
    if (waiting === undefined) byGroup.set(group, [{ message, group, bytes }]);
    else waiting.push({ message, group, bytes });
  }
  // The longest runs first, for good: their next message joins every request it can.
  const waiting = new Map([...byGroup].sort(([, a], [, b]) => b.length - a.length));
  const busy = new Set<string>();
  const refused: RefusedCatalogEnrichmentMessage[] = [];

  const nextRequest = (): Outgoing[] => {
    const request: Outgoing[] = [];
    let bytes = 0;
    for (const [group, run] of waiting) {
      if (request.length === catalogEnrichmentBatchLimit) break;
      const next = run[0];
      if (busy.has(group) || next === undefined) continue;
      // A message too large for any request still goes, alone: the queue names what is wrong.
      if (request.length > 0 && bytes + next.bytes > catalogEnrichmentBatchBytes) break;
      run.shift();
      if (run.length === 0) waiting.delete(group);
      request.push(next);
      bytes += next.bytes;
    }
    return request;
  };

  const send = async (request: readonly Outgoing[]): Promise<void> => {
    const sent = request.map((outgoing) => outgoing.message);
    try {
      const notAccepted = await queue.send(sent, { signal });
      if (notAccepted.length > 0) {
        halt.halted = true;
        refused.push(...notAccepted);
        return;
      }
      for (const outgoing of request) busy.delete(outgoing.group);
    } catch (error) {
      halt.halted = true;
      refused.push(...sent.map((message) => ({ message, errorCode: errorName(error) })));
    }
  };

  const inFlight = new Set<Promise<void>>();
  for (;;) {
    while (!halt.halted && !signal.aborted && inFlight.size < concurrency) {
      const request = nextRequest();
      if (request.length === 0) break;
      for (const outgoing of request) busy.add(outgoing.group);
      const sending: Promise<void> = send(request).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  const unsent = [...waiting.values()]
    .flat()
    .map((outgoing) => outgoing.message)
    .sort((a, b) => a.item_index - b.item_index);
  return { refused, unsent };
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
