import type { Logger } from '@mangaassist/commons';
import { silentLogger } from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type JobStarter, jobStartAttempts } from '../job-starter.js';

/**
 * The job queues' consumer (an SQS event source mapping with `ReportBatchItemFailures`): starts
 * each record's job. A record that fails comes back alone after its visibility timeout and, after
 * the queue's `maxReceiveCount` (`jobStartAttempts`), goes to the dead-letter queue, its job
 * failed (`abandon`); the others are done.
 */
export function makeJobStarterHandler(
  start: JobStarter,
  logger: Logger = silentLogger,
  /** Fails the job of a message on its last receive (`makeJobStartAbandoner`). @default - none */
  abandon?: (body: string, reason: string) => Promise<void>,
) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: { itemIdentifier: string }[] = [];
    // One at a time, counting what this batch started per tenant: the per-tenant cap holds within
    // a batch even before the index shows the jobs just started.
    const startedNow = new Map<string, Set<string>>();
    for (const record of event.Records) {
      try {
        // Each record's calls are traced under its own job (the starter adds it once it has read it).
        const outcome = await withTraceAnnotations({}, () => start(record.body, startedNow));
        if (outcome.outcome !== 'started') {
          logger.info(`queued job ${outcome.outcome}`, {
            messageId: record.messageId,
            reason: outcome.reason,
          });
        }
      } catch (error) {
        logger.error('starting a job failed', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: error instanceof Error ? error.message : String(error),
        });
        if (abandon && Number(record.attributes.ApproximateReceiveCount) >= jobStartAttempts) {
          await abandon(record.body, error instanceof Error ? error.message : String(error)).catch(
            (abandonError: unknown) =>
              logger.error('failing an unstartable job failed', { error: String(abandonError) }),
          );
        }
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
