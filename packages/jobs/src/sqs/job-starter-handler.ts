import type { Logger } from '@mangaassist/commons';
import { silentLogger } from '@mangaassist/commons';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { JobStarter } from '../job-starter.js';

/**
 * The job queues' consumer (an SQS event source mapping with `ReportBatchItemFailures`): starts
 * each record's job. A record that fails comes back alone after its visibility timeout and, after
 * the queue's `maxReceiveCount`, goes to the dead-letter queue; the others are done.
 */
export function makeJobStarterHandler(start: JobStarter, logger: Logger = silentLogger) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: { itemIdentifier: string }[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          const outcome = await start(record.body);
          if (outcome.outcome === 'skipped') {
            logger.info('queued job skipped', { messageId: record.messageId, reason: outcome.reason });
          }
        } catch (error) {
          logger.error('starting a job failed', {
            messageId: record.messageId,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: error instanceof Error ? error.message : String(error),
          });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
