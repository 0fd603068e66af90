import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readCatalogEnrichmentMessage } from '../catalog-enrichment-message.js';
import type { ConsumerFunction } from '../event-consumer.js';

export interface CatalogEnrichmentQueueHandlerOptions {
  /** Work that must finish before Lambda freezes the environment (the gateway's event flush). */
  readonly afterMessages?: () => Promise<void>;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** An SQS event source mapping's handler with partial batch responses (`ReportBatchItemFailures`). */
export type CatalogEnrichmentQueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The catalog enrichment queue's handler: reads each record as the catalog update it carries
 * (`readCatalogEnrichmentMessage`: timed by when the webhook first took up its batch, or by its
 * `SentTimestamp` when it was queued before the body carried that) and hands it to the
 * `catalog-enrichment` consumer (`makeCatalogEnrichmentConsumer`), which enriches each update
 * once per acceptance of its batch.
 *
 * Records are handled one after another, in their order. What the consumer acknowledges —
 * processed, skipped, a duplicate, or a permanent failure it recorded as `rejected` — deletes the
 * message. A record the consumer throws on (what a retry may fix: the model, a table, the update
 * claimed by an attempt still running) or that is no catalog enrichment message is logged and
 * reported as a batch item failure, and so is every record after it: a FIFO queue must not hand
 * over a product's later update before an earlier one. The queue receives them again; after
 * `catalogEnrichmentQueueLimits.maxReceiveCount` receives its redrive policy moves the message to
 * the dead-letter queue, and only then does the product's message group move on.
 */
export function makeCatalogEnrichmentQueueHandler(
  consume: ConsumerFunction,
  options: CatalogEnrichmentQueueHandlerOptions = {},
): CatalogEnrichmentQueueHandler {
  const logger = options.logger ?? silentLogger;
  return async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    try {
      for (const record of event.Records) {
        if (batchItemFailures.length > 0) {
          batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        const read = readCatalogEnrichmentMessage(record.body, Number(record.attributes.SentTimestamp));
        if (!read.ok) {
          logger.error('catalog enrichment message unreadable; left to the dead-letter queue', {
            messageId: record.messageId,
            reason: read.reason,
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        try {
          await consume(read.event);
        } catch (error) {
          logger.warn('catalog enrichment failed; the queue will deliver the update again', {
            messageId: record.messageId,
            updateId: read.event.id,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: errorMessage(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
    } finally {
      // Never in place of the batch response: a failed flush only loses events, not updates.
      await options.afterMessages?.().catch((error: unknown) => {
        logger.warn('work after the catalog enrichment messages failed', { error: errorMessage(error) });
      });
    }
    return { batchItemFailures };
  };
}
