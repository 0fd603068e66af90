import { gatewayEnvironment } from '@mangaassist/contracts';
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BucketGrants, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DocumentBucket } from './document-bucket.js';
import { nagResourceName } from './nag-resource-name.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface JobCallbackDelivererProps {
  /** Deployment stage, for the description and `MANGA_ENV`. */
  readonly stage: string;
  /** The callbacks waiting for delivery (`JOB_CALLBACKS_QUEUE_URL`), consumed by this function. */
  readonly queue: IQueue;
  /** Jobs (`JOBS_TABLE`): a callback carries the job as `GET /v1/jobs/{id}` shows it. */
  readonly jobsTable: ITable;
  /** Results (`DOCUMENTS_BUCKET`): a long result is linked with a presigned URL. */
  readonly documentsBucket: IBucket;
  /** The tenants' callback signing secrets (`CALLBACK_SECRET_ID`). */
  readonly callbackSecret: ISecret;
  /**
   * Deliverer instances at most: the event source mapping's maximum concurrency (2–1000). Each
   * works on up to 10 callbacks at once, so this also bounds the requests to tenants' endpoints.
   * @default 5
   */
  readonly maxConcurrency?: number;
  /**
   * Must stay a sixth of the queue's visibility timeout or less (`JobCallbackQueue.consumerTimeout`),
   * and above the sender's 10 s per request.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Logging and tracing (the function runs outside any VPC and reads none of the shared environment).
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: Pick<SharedFunctionProps, 'tracing' | 'logRetention' | 'logRemovalPolicy'>;
}

/**
 * The job callbacks' deliverer (`functions/jobs/src/callback-handler.ts`): an SQS event source on
 * the callback queue (batches of 10 delivered in parallel, `ReportBatchItemFailures`, a maximum
 * concurrency) POSTing each settled job to its `callback_url`, signed with the tenant's secret. A
 * callback that was not delivered is hidden again for its next retry wait
 * (`sqs:ChangeMessageVisibility`) and reported as a batch item failure.
 *
 * It runs outside any VPC: it calls tenants' public HTTPS endpoints and AWS APIs only. Inside the
 * cache's VPC it would reach the internet through the NAT gateways all the same, for their data
 * charge and a dependency on them, and gain nothing (it never touches Redis); Lambda's own
 * network gives it the same egress without either.
 *
 * It may read jobs (`GetItem`), read the callback secret, consume the queue and change its
 * messages' visibility, and sign downloads of `jobs/*\/result.txt` (`GetObject`: a presigned URL
 * is authorised as its signer; no `ListBucket`, it never reads an object). Nothing else: no
 * writes, no model, no other queue.
 */
export class JobCallbackDeliverer extends Construct {
  readonly function: PlatformFunction;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: JobCallbackDelivererProps) {
    super(scope, id);
    this.function = new PlatformFunction(this, 'Function', {
      ...props.functionDefaults,
      entry: 'functions/jobs/src/callback-handler.ts',
      description: `MangaAssist ${props.stage}: delivers the callbacks of settled document jobs to their callback_url`,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.jobsTable]: props.jobsTable.tableName,
        [gatewayEnvironment.documentsBucket]: props.documentsBucket.bucketName,
        [gatewayEnvironment.jobCallbacksQueueUrl]: props.queue.queueUrl,
        [gatewayEnvironment.callbackSecretId]: props.callbackSecret.secretArn,
      },
    });
    const fn = this.function;
    props.jobsTable.grant(fn, 'dynamodb:GetItem');
    props.callbackSecret.grantRead(fn);
    // The event source grants consuming (which includes it); the retry schedule depends on it
    // whatever the event source grants, so it is granted in its own right.
    props.queue.grant(fn, 'sqs:ChangeMessageVisibility');
    const results = `${DocumentBucket.jobsPrefix}*/result.txt`;
    BucketGrants.fromBucket(props.documentsBucket).actionsOnObjectKeys(fn, results, 's3:GetObject');
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.documentsBucket.arnForObjects(results))}]`,
      reason:
        's3:GetObject (signing a result’s download URL for the callback) of jobs/<job id>/result.txt only: the job id in the key is known only at run time.',
    });

    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? 5,
    });
    fn.invocationTarget.addEventSource(this.eventSource);
  }
}
