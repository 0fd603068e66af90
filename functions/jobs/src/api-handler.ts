/**
 * Trigger: API Gateway REST `POST /v1/uploads`, `POST /v1/jobs`, `GET` and `DELETE /v1/jobs/{id}`.
 * Hands out presigned uploads, creates jobs (queued on the job's priority lane, then stored;
 * idempotent under an `Idempotency-Key`), reports them and cancels them (stopping the execution).
 * Failure semantics: bad input 4xx with a JSON reason; a job that cannot be queued is not stored
 * and answered 503 (send it again); stores that cannot be reached answer 503 with `retry-after`
 * (a message queued for a job never stored is skipped by the starter).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createJobsApiPlatform, jobsConfigFromEnvironment } from '@mangaassist/jobs/platform';
import { makeJobsApiHandler } from './jobs.js';

const logger = new Logger({ serviceName: 'jobs-api' });

export const handler = makeJobsApiHandler(
  createJobsApiPlatform(jobsConfigFromEnvironment(process.env), { logger }),
);
