import type { Logger } from '@mangaassist/commons';
import { silentLogger } from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  type CallbackDeliverer,
  callbackAttempts,
  callbackRetrySeconds,
} from '../callbacks/callback-delivery.js';

/** Puts a received message back for later (SQS's `ChangeMessageVisibility`). */
export interface MessageVisibility {
  later(record: SQSRecord, seconds: number): Promise<void>;
}

/**
 * The callback queue's consumer (an SQS event source mapping with `ReportBatchItemFailures`):
 * delivers each record's callback. One that is not delivered comes back on the retry schedule
 * (`callbackRetrySeconds`, by its receive count) and, after the queue's `maxReceiveCount`
 * (`callbackAttempts`), lands in the dead-letter queue; delivered and dropped ones are done.
 */
export function makeCallbackQueueHandler(
  deliver: CallbackDeliverer,
  visibility: MessageVisibility,
  logger: Logger = silentLogger,
) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: { itemIdentifier: string }[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
        try {
          // Each record's calls are traced under its own job (the deliverer adds it once read).
          const outcome = await withTraceAnnotations({}, () => deliver(record.body));
          if (outcome.outcome === 'dropped') {
            logger.info('callback dropped', { messageId: record.messageId, reason: outcome.reason });
          }
          if (outcome.outcome !== 'retry') return;
        } catch (error) {
          logger.error('delivering a callback failed', {
            messageId: record.messageId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        // After the last attempt, no wait: the next receive moves it to the dead-letter queue.
        const wait =
          attempt >= callbackAttempts
            ? 0
            : (callbackRetrySeconds[Math.min(attempt, callbackRetrySeconds.length) - 1] ?? 30);
        await visibility.later(record, wait).catch((error: unknown) => {
          // It comes back after the queue's own visibility timeout instead.
          logger.warn('could not schedule a callback retry', {
            messageId: record.messageId,
            error: String(error),
          });
        });
        failures.push({ itemIdentifier: record.messageId });
      }),
    );
    return { batchItemFailures: failures };
  };
}
