/**
 * Trigger: the catalog re-enrichment state machine's Lambda Task states (Step Functions), `step`
 * in the input: plan, enrich-products (a Distributed Map child), prepare-batch, submit-batch (a
 * callback task: it records the task token and submits the Bedrock batch job), apply-batch,
 * summarize. Reads and writes the products table and the documents bucket under `reenrichment/`,
 * asks the fast model through the gateway, submits batch jobs to Bedrock. Failure semantics:
 * errors are named for the state machine (ModelThrottled, StoreUnavailable, BatchUnavailable,
 * BatchRejected, NothingEnriched), which retries, falls back to on demand or fails the run; every
 * step may be retried (a product this run wrote is skipped, a batch submission is idempotent).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { createS3Client, S3DocumentStore } from '@mangaassist/jobs/s3';
import {
  createReenrichmentStepsPlatform,
  reenrichmentConfigFromEnvironment,
} from '@mangaassist/reenrichment/platform';
import { makeReenrichmentStepsFunctionHandler } from './reenrichment.js';

const logger = new Logger({ serviceName: 'reenrichment-steps' });
const config = reenrichmentConfigFromEnvironment(process.env);

export const handler = makeReenrichmentStepsFunctionHandler(
  createReenrichmentStepsPlatform(config, {
    objects: new S3DocumentStore({ client: createS3Client(), bucket: config.documentsBucket }),
    gateway: gatewayConfigFromEnvironment(process.env),
    functionRegion: process.env.AWS_REGION,
    logger,
  }),
);
