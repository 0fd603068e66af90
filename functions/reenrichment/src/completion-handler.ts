/**
 * Triggers: an EventBridge rule on the account's default bus, Bedrock's "Batch Inference Job State
 * Change" of this stage's re-enrichment jobs in a final status; and an hourly schedule, the sweep
 * for a change that never arrived. Reads the task token the steps recorded for the job (documents
 * bucket), asks Bedrock for the job's output file (the sweep lists the stage's jobs instead), and
 * completes the waiting RunBatchJob state (SendTaskSuccess, or SendTaskFailure with
 * BatchJobFailed). Failure semantics: a change delivered twice is no error; a store, Bedrock or
 * Step Functions failure throws (a sweep after trying every job), for the rules' retries and DLQ.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { createS3Client, S3DocumentStore } from '@mangaassist/jobs/s3';
import {
  assertBatchRegion,
  batchTarget,
  createBatchCompletionPlatform,
  reenrichmentConfigFromEnvironment,
} from '@mangaassist/reenrichment/platform';

const logger = new Logger({ serviceName: 'reenrichment-batch-completion' });
const config = reenrichmentConfigFromEnvironment(process.env);
const { region } = batchTarget(gatewayConfigFromEnvironment(process.env));
assertBatchRegion(region, process.env.AWS_REGION);

export const handler = createBatchCompletionPlatform(config, {
  objects: new S3DocumentStore({ client: createS3Client(), bucket: config.documentsBucket }),
  region,
  logger,
}).handler;
