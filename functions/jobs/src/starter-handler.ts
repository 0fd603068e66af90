/**
 * Trigger: the job queues (SQS, normal and low priority; batches with `ReportBatchItemFailures`).
 * Starts the job workflow's execution of each queued job, named by the job id, so a redelivered
 * message finds the execution that exists; a cancelled or finished job is skipped.
 * Failure semantics: a record that fails comes back after its visibility timeout and, after the
 * queue's receive limit, lands in the queue's dead-letter queue (alarmed).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createJobStarterPlatform, jobsConfigFromEnvironment } from '@mangaassist/jobs/platform';
import { makeJobStarterQueueHandler } from './jobs.js';

const logger = new Logger({ serviceName: 'job-starter' });

export const handler = makeJobStarterQueueHandler({
  ...createJobStarterPlatform(jobsConfigFromEnvironment(process.env), { logger }),
  logger,
});
