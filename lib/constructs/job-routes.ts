import {
  gatewayEnvironment,
  type JobPriority,
  jobPriorities,
  jobRoutes,
  makeCreateJobRequestSchema,
  toApiGatewaySchema,
} from '@mangaassist/contracts';
import { modelNames } from '@mangaassist/fm-gateway/catalog';
import { Arn, ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  type IRequestValidator,
  type JsonSchema,
  JsonSchemaVersion,
  type Model,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { BucketGrants, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { addApiKeyMethod } from './api-key-method.js';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { DocumentBucket } from './document-bucket.js';
import { nagResourceName } from './nag-resource-name.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface JobRoutesProps {
  /** Deployment stage, for descriptions and `MANGA_ENV`. */
  readonly stage: string;
  /** The API the routes are added to, at the contracts' `jobRoutes` paths. */
  readonly restApi: RestApi;
  /** Validates `POST /v1/jobs` bodies and the `{id}` path parameter. */
  readonly requestValidator: IRequestValidator;
  /**
   * The model catalog: a job may name its models (keys and aliases) or `auto`. Only the catalog
   * overrides reach the function (`MODEL_CATALOG_JSON`): it builds no model client.
   */
  readonly bedrock: BedrockInvokeAccess;
  /** The tenants' API keys and budgets (`TENANTS_JSON` and the rest of `TenantApiKeys.environment`). */
  readonly tenantsEnvironment: Readonly<Record<string, string>>;
  /** Jobs and their idempotency keys (`JOBS_TABLE`). */
  readonly jobsTable: ITable;
  /** Uploads and results (`DOCUMENTS_BUCKET`). */
  readonly documentsBucket: IBucket;
  /** The queue of each priority lane (`JOBS_QUEUE_URL`, `JOBS_LOW_QUEUE_URL`). */
  readonly queues: Readonly<Record<JobPriority, IQueue>>;
  /** The job workflow (`JOB_STATE_MACHINE_ARN`): a cancelled job's execution is stopped. */
  readonly stateMachine: IStateMachine;
  /**
   * The tenants' callback signing secrets (`CALLBACK_SECRET_ID`): a job's `callback_url` is
   * refused (422) from a tenant that has none.
   */
  readonly callbackSecret: ISecret;
  /**
   * Logging and tracing (the function runs outside any VPC: it reaches only AWS APIs).
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: Pick<SharedFunctionProps, 'tracing' | 'logRetention' | 'logRemovalPolicy'>;
  /**
   * MB; an inline document of up to 5 MB passes through the function.
   * @default 1024
   */
  readonly memorySize?: number;
}

/** Where each lane's queue URL goes. */
const queueUrlVariable: Readonly<Record<JobPriority, string>> = {
  normal: gatewayEnvironment.jobsQueueUrl,
  low: gatewayEnvironment.jobsLowQueueUrl,
};

/**
 * The document job routes on the REST API, every one behind a tenant API key and served by one
 * function (`functions/jobs/src/api-handler.ts`):
 * - `POST /v1/uploads`: a presigned `PUT` for a document (`uploads/<tenant>/<upload id>`);
 * - `POST /v1/jobs`: 202 and a job id; the body is validated against a model generated from the
 *   contracts' `makeCreateJobRequestSchema` over the catalog's model names;
 * - `GET /v1/jobs/{id}` and `DELETE /v1/jobs/{id}`: the job, and its cancellation.
 *
 * The function may: read, create and update jobs (`GetItem`, `PutItem`, `UpdateItem`: creating a
 * job with its idempotency key is a transaction of two puts); sign uploads into `uploads/` and
 * check their size (`PutObject`, `GetObject`), store an inline document as `jobs/*\/document.txt`
 * and sign downloads of `jobs/*\/result.txt` only; list the bucket (a missing upload is then a
 * 404, not a 403); send to both lanes' queues (not the callback queue); stop the workflow's
 * executions; and read the callback secret. No model.
 */
export class JobRoutes extends Construct {
  readonly function: PlatformFunction;
  readonly requestModel: Model;

  constructor(scope: Construct, id: string, props: JobRoutesProps) {
    super(scope, id);
    const catalogOverrides = props.bedrock.handlerEnvironment[gatewayEnvironment.modelCatalog];
    this.function = new PlatformFunction(this, 'Function', {
      ...props.functionDefaults,
      entry: 'functions/jobs/src/api-handler.ts',
      description: `MangaAssist ${props.stage}: POST /v1/uploads, POST /v1/jobs, GET and DELETE /v1/jobs/{id}`,
      memorySize: props.memorySize ?? 1024,
      timeout: Duration.seconds(29),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        ...props.tenantsEnvironment,
        ...(catalogOverrides === undefined ? {} : { [gatewayEnvironment.modelCatalog]: catalogOverrides }),
        [gatewayEnvironment.jobsTable]: props.jobsTable.tableName,
        [gatewayEnvironment.documentsBucket]: props.documentsBucket.bucketName,
        ...Object.fromEntries(
          jobPriorities.map((priority) => [queueUrlVariable[priority], props.queues[priority].queueUrl]),
        ),
        [gatewayEnvironment.jobStateMachineArn]: props.stateMachine.stateMachineArn,
        [gatewayEnvironment.callbackSecretId]: props.callbackSecret.secretArn,
      },
    });
    const fn = this.function;
    props.jobsTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    const documents = BucketGrants.fromBucket(props.documentsBucket);
    const uploads = `${DocumentBucket.uploadsPrefix}*`;
    const inlineDocuments = `${DocumentBucket.jobsPrefix}*/document.txt`;
    const results = `${DocumentBucket.jobsPrefix}*/result.txt`;
    documents.actionsOnObjectKeys(fn, uploads, 's3:PutObject', 's3:GetObject');
    documents.actionsOnObjectKeys(fn, inlineDocuments, 's3:PutObject');
    documents.actionsOnObjectKeys(fn, results, 's3:GetObject');
    DocumentBucket.grantListBucket(props.documentsBucket, fn);
    // SendMessage only: the function has the queues' URLs and never reads their attributes.
    for (const priority of jobPriorities) props.queues[priority].grant(fn, 'sqs:SendMessage');
    props.stateMachine.grantExecution(fn, 'states:StopExecution');
    props.callbackSecret.grantRead(fn);

    const objectReason = (what: string) =>
      `${what}: the tenant, upload and job ids in the key are known only at run time.`;
    Validations.of(fn.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.documentsBucket.arnForObjects(uploads))}]`,
        reason: objectReason(
          's3:PutObject (signing presigned uploads) and s3:GetObject (checking an upload’s size) under uploads/ only',
        ),
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.documentsBucket.arnForObjects(inlineDocuments))}]`,
        reason: objectReason('s3:PutObject of an inline document, jobs/<job id>/document.txt, only'),
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.documentsBucket.arnForObjects(results))}]`,
        reason: objectReason(
          's3:GetObject (signing a result’s download URL) of jobs/<job id>/result.txt only',
        ),
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, executionArns(props.stateMachine))}]`,
        reason:
          'states:StopExecution on the executions of the job state machine only: an execution is named by its job id, known only at run time.',
      },
    );

    this.requestModel = props.restApi.addModel('CreateJobRequest', {
      modelName: 'CreateJobRequest',
      contentType: 'application/json',
      description: 'POST /v1/jobs body, generated from @mangaassist/contracts makeCreateJobRequestSchema',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        ...(toApiGatewaySchema(
          makeCreateJobRequestSchema(modelNames(props.bedrock.catalog)),
          'CreateJobRequest',
        ) as JsonSchema),
      },
    });

    const root = props.restApi.root;
    const target = fn.invocationTarget;
    addApiKeyMethod(root.resourceForPath(jobRoutes.uploads), 'POST', target, {
      operationName: 'CreateUpload',
    });
    const jobs = root.resourceForPath(jobRoutes.jobs);
    addApiKeyMethod(jobs, 'POST', target, {
      operationName: 'CreateJob',
      requestValidator: props.requestValidator,
      requestModel: this.requestModel,
    });
    const job = jobs.addResource('{id}');
    const byId = {
      requestValidator: props.requestValidator,
      requestParameters: { 'method.request.path.id': true },
    };
    addApiKeyMethod(job, 'GET', target, { operationName: 'GetJob', ...byId });
    addApiKeyMethod(job, 'DELETE', target, { operationName: 'CancelJob', ...byId });

    new CfnOutput(this, 'UploadsUrl', {
      value: props.restApi.urlForPath(jobRoutes.uploads),
      description: 'POST /v1/uploads',
    });
    new CfnOutput(this, 'JobsUrl', {
      value: props.restApi.urlForPath(jobRoutes.jobs),
      description: 'POST /v1/jobs, GET and DELETE /v1/jobs/{id}',
    });
  }
}

/** The ARN pattern `grantExecution` grants on, as it builds it: every execution of `stateMachine`. */
function executionArns(stateMachine: IStateMachine): string {
  const executions = Stack.of(stateMachine).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return `${executions}:*`;
}
