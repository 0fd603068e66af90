/**
 * Trigger: an EventBridge rule on the default bus for the job state machine's "Step Functions
 * Execution Status Change" events (FAILED, TIMED_OUT, ABORTED). Fails a job still queued or
 * running whose execution ended without settling it (a timeout, a stop from the console, a failure
 * no Catch reaches), so that no job stays `running` forever. Idempotent: a settled job is left
 * as it is. Failure semantics: a store error throws; the rule's retries and DLQ keep the event.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createExecutionEndedPlatform, jobsConfigFromEnvironment } from '@mangaassist/jobs/platform';
import { makeExecutionEndedEventHandler } from './jobs.js';

const logger = new Logger({ serviceName: 'job-execution-ended' });

export const handler = makeExecutionEndedEventHandler(
  createExecutionEndedPlatform(jobsConfigFromEnvironment(process.env), { logger }).ended,
);
