import type { CatalogUpdateDetail, catalogBatchSchema } from '@mangaassist/contracts';
import { type DomainEvent, EventPublishError, type EventPublisher } from '@mangaassist/events';
import type * as z from 'zod/mini';
import type { WebhookProcessor } from '../webhook-processor.js';
import { contractEvent, webhookEvents } from './webhook-events.js';

export type CatalogBatch = z.output<typeof catalogBatchSchema>;

/** Error code, in the thrown `EventPublishError`, of events left unsent after another batch failed. */
export const notAttemptedErrorCode = 'NotAttempted';

export interface CatalogProcessorOptions {
  /** Where the `CatalogUpdate.*` events go. */
  readonly events: EventPublisher;
  /**
   * Events per `publish` call. With the EventBridge publisher, 10 makes each call one PutEvents
   * request (fewer if the details exceed 256 KB together).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * `publish` calls in flight at once: a 10 000-item catalog is 1 000 requests, too slow one
   * after another for the sender's timeout.
   * @default 4
   */
  readonly concurrency?: number;
}

/**
 * The catalog webhook processor (seed 000 §5.1, fixed): one `mangaassist.catalog` /
 * `CatalogUpdate.{update_type}` event per item — every item, where the seed silently dropped all
 * after the tenth — published in batches through the event publisher, which resends only the
 * entries the bus did not accept.
 *
 * Failure semantics: if any entry is still not accepted after the publisher's retries, no new
 * batch is started, the batches in flight finish, and the processor rejects with an
 * `EventPublishError` listing every event not on the bus (bus error codes, and `NotAttempted`
 * for the batches never sent). The delivery is then not acknowledged, the claim is released, and
 * the sender's retry publishes the whole catalog again — so delivery is at least once: items of
 * the first attempt that were accepted are published a second time. Every publish runs under the
 * delivery's signal; once it aborts, no batch is started and the processor rejects with the
 * signal's reason (the receiver answers 503 `processing_timed_out`). Consumers deduplicate on
 * `batch_id` + `product_id` + `update_type`, which every detail carries.
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
    const batches = chunk(events, batchSize);
    const failed: { event: DomainEvent; errorCode: string }[] = [];
    let next = 0;
    let firstError: unknown;

    const worker = async (): Promise<void> => {
      while (firstError === undefined && !context.signal.aborted && next < batches.length) {
        const batch = batches[next++] ?? [];
        try {
          await options.events.publish(batch, { signal: context.signal });
        } catch (error) {
          firstError ??= error;
          if (error instanceof EventPublishError) failed.push(...error.failed);
          else failed.push(...batch.map((event) => ({ event, errorCode: errorName(error) })));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));

    const unsent = batches.slice(next).flat();
    if (failed.length === 0 && unsent.length === 0) {
      return {
        status: 'processed',
        events: events.length,
        detail: {
          batch_id: payload.batch_id,
          items: payload.items.length,
          update_types: countTypes(payload),
        },
      };
    }
    // Aborted: what the publisher threw is a consequence of the abort, not a bus failure.
    if (context.signal.aborted) throw context.signal.reason;
    throw new EventPublishError(
      `${failed.length + unsent.length} of ${events.length} catalog events of batch ${payload.batch_id} are not on the bus ` +
        `(${failed.length} not accepted, ${unsent.length} not attempted); the delivery must be retried`,
      [...failed, ...unsent.map((event) => ({ event, errorCode: notAttemptedErrorCode }))],
    );
  };
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
