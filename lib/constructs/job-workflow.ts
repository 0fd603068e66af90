import { gatewayEnvironment } from '@mangaassist/contracts';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BucketGrants, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  jobStepsFunctionArnSubstitution,
  jobWorkflowDefinition,
  shortestTaskTimeoutSeconds,
} from '../job-workflow-definition.js';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { DocumentBucket } from './document-bucket.js';
import { nagResourceName } from './nag-resource-name.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';
import { acknowledgeLoggingWildcards, stateMachineLogGroup } from './state-machine-logging.js';

export class JobWorkflowError extends Error {
  override readonly name = 'JobWorkflowError';
}

export interface JobWorkflowProps {
  /** Deployment stage: the state machine is `mangaassist-<stage>-document-jobs`. */
  readonly stage: string;
  /** Jobs (`JOBS_TABLE`): the steps read them and move them through their statuses. */
  readonly jobsTable: ITable;
  /** Uploads, and every job's document, chunks, answers and result (`DOCUMENTS_BUCKET`). */
  readonly documentsBucket: IBucket;
  /** Bedrock permission and gateway settings: a job may ask for any model of the catalog. */
  readonly bedrock: BedrockInvokeAccess;
  /**
   * Bus for the gateway's `InferenceCompleted` events and the settled jobs' `JobCompleted` and
   * `JobFailed` (`EVENT_BUS_NAME`).
   * @default - no bus: the steps publish no events
   */
  readonly eventBus?: IEventBus;
  /**
   * Where a settled job's callback is queued when it has a `callback_url` (`JOB_CALLBACKS_QUEUE_URL`).
   * @default - no queue: the steps queue no callbacks
   */
  readonly callbackQueue?: IQueue;
  /**
   * Logging, tracing, network and the environment the gateway needs (the Redis cache holds the
   * tenants' daily spend, which the steps charge and check).
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: SharedFunctionProps;
  /**
   * Chunks of one job asked of the model at once (the Map's `MaxConcurrency`).
   * @default 4
   */
  readonly chunkConcurrency?: number;
  /**
   * @default 1024
   */
  readonly stepsMemorySize?: number;
  /**
   * The steps function's timeout; throws `JobWorkflowError` above the workflow's longest Task
   * timeout (300 s, ProcessChunk).
   * @default Duration.seconds(280)
   */
  readonly stepsTimeout?: Duration;
  /**
   * Lifetime of cached complete answers (`RESPONSE_CACHE_TTL_SECONDS`).
   * @default 300
   */
  readonly responseCacheTtlSeconds?: number;
  /**
   * Retention of the state machine's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * X-Ray tracing of the executions.
   * @default true
   */
  readonly tracing?: boolean;
}

/**
 * The document job workflow: a Step Functions Standard state machine running the ASL of
 * `@mangaassist/jobs` (Prepare → a Map of ProcessChunk → Reduce → … → Finish, RecordFailure on any
 * failure), every Task state of which invokes one steps function
 * (`functions/jobs/src/steps-handler.ts`) with its `step`. The definition is the package's own
 * JSON with the steps function's ARN substituted for `${JobStepsFunctionArn}`, so the deployed
 * machine and the one `pnpm dev` runs cannot drift; since CDK cannot see into a definition given
 * as a string, the machine's role is granted the invocation here.
 *
 * The steps function runs in the cache's network (the tenants' budgets are in Redis), reads
 * `uploads/` and reads and writes `jobs/` of the bucket (with `s3:ListBucket`, so that a missing
 * object is a 404 the steps can tell apart: a checkpoint not written yet, an expired upload),
 * reads and updates jobs, calls the catalog's models, publishes InferenceCompleted, JobCompleted
 * and JobFailed, and sends settled jobs' callbacks to the callback queue (`sqs:SendMessage` only).
 *
 * The machine logs errors only, without execution data (inputs and outputs name jobs, and
 * failure causes may quote a customer's document), and is traced with X-Ray. Its execution
 * timeout is the ASL's (6 hours).
 */
export class JobWorkflow extends Construct {
  readonly stepsFunction: PlatformFunction;
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: JobWorkflowProps) {
    super(scope, id);
    const stepsTimeout = props.stepsTimeout ?? Duration.seconds(280);
    const shortestTask = shortestTaskTimeoutSeconds();
    if (stepsTimeout.toSeconds() > shortestTask) {
      throw new JobWorkflowError(
        `the steps function's timeout (${stepsTimeout.toSeconds()} s) must not exceed the workflow's shortest Task timeout (${shortestTask} s)`,
      );
    }
    const defaults = props.functionDefaults ?? {};
    const tracing = props.tracing ?? defaults.tracing ?? true;

    this.stepsFunction = new PlatformFunction(this, 'StepsFunction', {
      ...defaults,
      entry: 'functions/jobs/src/steps-handler.ts',
      description: `MangaAssist ${props.stage}: the document job workflow's steps (prepare, process-chunk, reduce, finish, record-failure)`,
      memorySize: props.stepsMemorySize ?? 1024,
      timeout: stepsTimeout,
      environment: {
        ...defaults.environment,
        ...props.bedrock.handlerEnvironment,
        [gatewayEnvironment.responseCacheTtlSeconds]: String(props.responseCacheTtlSeconds ?? 300),
        [gatewayEnvironment.jobsTable]: props.jobsTable.tableName,
        [gatewayEnvironment.documentsBucket]: props.documentsBucket.bucketName,
        ...(props.eventBus ? { [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName } : {}),
        ...(props.callbackQueue
          ? { [gatewayEnvironment.jobCallbacksQueueUrl]: props.callbackQueue.queueUrl }
          : {}),
      },
    });
    const steps = this.stepsFunction;
    props.jobsTable.grant(steps, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    const documents = BucketGrants.fromBucket(props.documentsBucket);
    documents.actionsOnObjectKeys(steps, `${DocumentBucket.uploadsPrefix}*`, 's3:GetObject');
    documents.actionsOnObjectKeys(steps, `${DocumentBucket.jobsPrefix}*`, 's3:GetObject', 's3:PutObject');
    DocumentBucket.grantListBucket(props.documentsBucket, steps);
    props.bedrock.grantInvoke(steps);
    props.eventBus?.grantPutEventsTo(steps);
    // SendMessage only: the steps have the queue's URL and never read its attributes.
    props.callbackQueue?.grant(steps, 'sqs:SendMessage');
    Validations.of(steps.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.documentsBucket.arnForObjects(`${DocumentBucket.uploadsPrefix}*`))}]`,
        reason:
          's3:GetObject under uploads/ only: a job reads the upload it was created from, whose key (uploads/<tenant>/<upload id>) is known only at run time.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.documentsBucket.arnForObjects(`${DocumentBucket.jobsPrefix}*`))}]`,
        reason:
          's3:GetObject and s3:PutObject under jobs/ only: each job keeps its document, chunks, answers and result under jobs/<job id>/, whose id is known only at run time.',
      },
    );

    this.logGroup = stateMachineLogGroup(this, `mangaassist-${props.stage}-document-jobs`, {
      ...(props.logRetention !== undefined ? { retention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { removalPolicy: props.logRemovalPolicy } : {}),
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `mangaassist-${props.stage}-document-jobs`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        JSON.stringify(jobWorkflowDefinition({ maxConcurrency: props.chunkConcurrency ?? 4 })),
      ),
      definitionSubstitutions: { [jobStepsFunctionArnSubstitution]: steps.function.functionArn },
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: tracing,
    });
    // The Task states call the unqualified function (no version or alias): only that ARN.
    steps.function.grantInvokeLatestVersion(this.stateMachine);

    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'The state machine logs ERROR events without execution data: its inputs and outputs name jobs and tenants, and a failure cause may quote a customer document. ALL would log every state transition of every chunk (thousands per large document) for no diagnostic gain over X-Ray traces and the steps function’s own logs.',
    });
    acknowledgeLoggingWildcards(this.stateMachine);
  }
}
