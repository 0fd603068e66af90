/**
 * Trigger: the job state machine's Task states (Step Functions, synchronous Lambda invocations),
 * `step` in the input: prepare, process-chunk, reduce, finish, record-failure.
 * Each step reads and writes the document bucket and the jobs table; process-chunk asks the model
 * through the gateway, charged to the tenant's budget. Failure semantics: errors are named for the
 * state machine (ModelThrottled, ModelUnavailable, NoModelLeft, DocumentRejected, …), which
 * retries, falls back or fails the job; every step may be retried (chunk answers are checkpoints,
 * job writes are conditional transitions).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createJobStepsPlatform, jobsConfigFromEnvironment } from '@mangaassist/jobs/platform';
import { makeJobStepsFunctionHandler } from './jobs.js';

const logger = new Logger({ serviceName: 'job-steps' });

export const handler = makeJobStepsFunctionHandler(
  createJobStepsPlatform(jobsConfigFromEnvironment(process.env), { logger }),
);
