import * as z from 'zod/mini';
import { catalogBatchSchema, catalogItemSchema } from './webhooks.js';

/**
 * One catalog item on its way to enrichment: the body of a message on the catalog enrichment
 * queue (SQS FIFO), which the catalog webhook sends item by item in the order of its batch,
 * grouped by product, so that one product's updates are enriched one at a time, in the order the
 * catalog sent them — an update never overtakes a discontinuation.
 *
 * The body holds nothing that changes between two deliveries of the same batch: the queue's
 * content-based deduplication drops the copy a retried delivery sends within SQS's 5-minute
 * interval, and `catalogUpdateId` names the update for the consumer's idempotency after that.
 * `first_seen_at` is when the catalog webhook first took the batch up (recorded once per accepted
 * delivery, kept as long as the webhook remembers the delivery), so it is the same on every retry
 * and every redrive: the consumer orders a product's updates by it and `item_index`, never by
 * when SQS received the message. Absent only from messages queued before it existed (the consumer
 * then falls back on SQS's `SentTimestamp`). Build the body with `catalogEnrichmentMessage`, whose
 * field order keeps the JSON, and so the deduplication id, the same.
 */
export const catalogEnrichmentMessageSchema = z.strictObject({
  batch_id: catalogBatchSchema.shape.batch_id,
  /** The item's position in its batch, from 0. */
  item_index: z.int().check(z.nonnegative()),
  /**
   * When the catalog webhook first took up this delivery of the batch, ISO 8601 UTC with
   * milliseconds (`toISOString`): the batch's place in the catalog's order, and its acceptance.
   */
  first_seen_at: z.optional(z.iso.datetime({ precision: 3 })),
  product_id: catalogItemSchema.shape.product_id,
  title: catalogItemSchema.shape.title,
  update_type: catalogItemSchema.shape.update_type,
  data: catalogItemSchema.shape.data,
});
export type CatalogEnrichmentMessage = z.output<typeof catalogEnrichmentMessageSchema>;

/**
 * The message of item `itemIndex` of batch `batchId`, first seen at `firstSeenAt` (ISO 8601 UTC
 * with milliseconds), its fields always in the same order.
 */
export function catalogEnrichmentMessage(
  batchId: string,
  itemIndex: number,
  item: z.output<typeof catalogItemSchema>,
  firstSeenAt: string,
): CatalogEnrichmentMessage {
  return {
    batch_id: batchId,
    item_index: itemIndex,
    first_seen_at: firstSeenAt,
    product_id: item.product_id,
    title: item.title,
    update_type: item.update_type,
    data: item.data,
  };
}

/**
 * The id of one catalog update, `<batch_id>/<item_index>@<first_seen_at>`: the same for every copy
 * of the item (a retried delivery, a redelivered or redriven message), different for every other
 * item — and for the same item of a batch the webhook accepted again once it had forgotten the
 * first acceptance (a new `first_seen_at`). The index and the time follow the last `/`, so two
 * batches never give the same id. A message queued before `first_seen_at` existed keeps its old
 * id, `<batch_id>/<item_index>`.
 */
export function catalogUpdateId(
  message: Pick<CatalogEnrichmentMessage, 'batch_id' | 'item_index' | 'first_seen_at'>,
): string {
  const id = `${message.batch_id}/${message.item_index}`;
  return message.first_seen_at === undefined ? id : `${id}@${message.first_seen_at}`;
}

/** The name of a stage's catalog enrichment queue (SQS FIFO names end in `.fifo`), deployed and local. */
export function catalogEnrichmentQueueName(stage: string): string {
  return `mangaassist-${stage}-catalog-enrichment.fifo`;
}

/** What the deployed catalog enrichment queue and `pnpm dev`'s share. */
export const catalogEnrichmentQueueLimits = {
  /**
   * Receives of a message before it goes to the dead-letter queue: more than one lets a message
   * through a throttled model or table; its product's later updates wait meanwhile.
   */
  maxReceiveCount: 5,
  /**
   * Messages the consumer handles at once (the event source mapping's maximum concurrency): one
   * model call each, so this bounds the enrichment's share of the fast model's throughput and the
   * tables' writes; the other products wait their turn.
   */
  maxConcurrency: 20,
  /**
   * The queue's maximum message size (SQS `MaximumMessageSize`), set on the deployed queue: SQS
   * refuses a `SendMessageBatch` whose bodies together pass it (`BatchRequestTooLong`), so the
   * catalog webhook packs its requests under it.
   */
  maxMessageBytes: 256 * 1024,
} as const;
