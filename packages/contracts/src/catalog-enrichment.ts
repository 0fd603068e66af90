import * as z from 'zod/mini';
import { catalogBatchSchema, catalogItemSchema } from './webhooks.js';

/**
 * One catalog item on its way to enrichment: the body of a message on the catalog enrichment
 * queue (SQS FIFO), which the catalog webhook sends item by item in the order of its batch,
 * grouped by product, so that one product's updates are enriched one at a time, in the order the
 * catalog sent them — an update never overtakes a discontinuation.
 *
 * The body holds nothing that changes between two deliveries of the same batch (no receipt
 * time): the queue's content-based deduplication drops the copy a retried delivery sends within
 * SQS's 5-minute interval, and `batch_id` + `item_index` (`catalogUpdateId`) name the update for
 * the consumer's idempotency after that. Build it with `catalogEnrichmentMessage`, whose field
 * order keeps the JSON, and so the deduplication id, the same.
 */
export const catalogEnrichmentMessageSchema = z.strictObject({
  batch_id: catalogBatchSchema.shape.batch_id,
  /** The item's position in its batch, from 0. */
  item_index: z.int().check(z.nonnegative()),
  product_id: catalogItemSchema.shape.product_id,
  title: catalogItemSchema.shape.title,
  update_type: catalogItemSchema.shape.update_type,
  data: catalogItemSchema.shape.data,
});
export type CatalogEnrichmentMessage = z.output<typeof catalogEnrichmentMessageSchema>;

/** The message of item `itemIndex` of batch `batchId`, its fields always in the same order. */
export function catalogEnrichmentMessage(
  batchId: string,
  itemIndex: number,
  item: z.output<typeof catalogItemSchema>,
): CatalogEnrichmentMessage {
  return {
    batch_id: batchId,
    item_index: itemIndex,
    product_id: item.product_id,
    title: item.title,
    update_type: item.update_type,
    data: item.data,
  };
}

/**
 * The id of one catalog update, `<batch_id>/<item_index>`: the same for every copy of the item
 * (a retried delivery, a redelivered message), different for every other item. The index follows
 * the last `/`, so two batches never give the same id.
 */
export function catalogUpdateId(message: Pick<CatalogEnrichmentMessage, 'batch_id' | 'item_index'>): string {
  return `${message.batch_id}/${message.item_index}`;
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
} as const;
