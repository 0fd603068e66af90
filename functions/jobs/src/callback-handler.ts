/**
 * Trigger: the job callbacks queue (SQS, batches with `ReportBatchItemFailures`).
 * POSTs a settled job's document to its `callback_url`, signed as Standard Webhooks with the
 * tenant's secret (`webhook-id` the same on every attempt); HTTPS to public addresses only, the
 * address checked again when connecting, redirects not followed.
 * Failure semantics: a callback that is not delivered comes back on a schedule doubling from 30 s
 * to 8 h; after 13 attempts (24 hours) it lands in the queue's dead-letter queue (alarmed).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createCallbackDeliveryPlatform, jobsConfigFromEnvironment } from '@mangaassist/jobs/platform';

const logger = new Logger({ serviceName: 'job-callbacks' });

export const handler = createCallbackDeliveryPlatform(jobsConfigFromEnvironment(process.env), {
  logger,
}).handler;
