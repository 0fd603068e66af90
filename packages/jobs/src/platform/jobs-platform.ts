import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type ChatPlatformOptions, coreOf } from '@mangaassist/chat/platform';
import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  type Logger,
  requireOutsideDev,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { gatewayEnvironment } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { createEventBridgePublisher, type EventBridgeClientSettings } from '@mangaassist/events/eventbridge';
import { loadModelCatalog, modelNames } from '@mangaassist/fm-gateway';
import type { HttpEndpoint } from '@mangaassist/http';
import type { TenantResolver } from '@mangaassist/http/api-gateway';
import type { TenantDirectory } from '@mangaassist/tenants';
import { tenantDirectoryOf, tenantResolver } from '@mangaassist/tenants/platform';
import { type CallbackSecrets, makeCallbackDeliverer } from '../callbacks/callback-delivery.js';
import type { CallbackPolicy, CallbackSender } from '../callbacks/callback-sender.js';
import { HttpCallbackSender } from '../callbacks/http-callback-sender.js';
import { type CallbackQueue, makeJobNotifier } from '../callbacks/job-notifications.js';
import type { DocumentStore } from '../document-store.js';
import { DynamoDbJobStore } from '../dynamodb/dynamodb-job-store.js';
import { JobService } from '../job-service.js';
import {
  type JobExecutions,
  type JobQueue,
  type JobStarter,
  makeJobStartAbandoner,
  makeJobStarter,
} from '../job-starter.js';
import type { JobStore } from '../job-store.js';
import { makeJobsEndpoint } from '../jobs-endpoint.js';
import { createS3Client, S3DocumentStore } from '../s3/s3-document-store.js';
import { SecretsManagerCallbackSecrets } from '../secrets-manager/secrets-manager-callback-secrets.js';
import { type MessageVisibility, makeCallbackQueueHandler } from '../sqs/callback-queue-handler.js';
import { SqsCallbackQueue } from '../sqs/sqs-callback-queue.js';
import { SqsJobQueue } from '../sqs/sqs-job-queue.js';
import { StepFunctionsJobExecutions } from '../stepfunctions/step-functions-job-executions.js';
import { makeExecutionEndedHandler } from '../workflow/execution-ended.js';
import { makeJobSteps, makeJobStepsHandler } from '../workflow/job-steps.js';
import { type JobsConfig, requireJobsSetting } from './jobs-config.js';

/** Where jobs are kept and how they run; each unset port gets its AWS adapter from the config. */
export interface JobPorts {
  readonly jobs?: JobStore;
  readonly documents?: DocumentStore;
  readonly queue?: JobQueue;
  readonly executions?: JobExecutions;
  /** The tenants' callback signing secrets. @default - Secrets Manager (`callbackSecretId`), when set */
  readonly secrets?: CallbackSecrets;
  /** Where settled jobs' callbacks wait. @default - SQS (`jobCallbacksQueueUrl`), when set */
  readonly callbacks?: CallbackQueue & MessageVisibility;
  /** Where `JobCompleted` / `JobFailed` go. @default - EventBridge (`eventBusName`), when set */
  readonly events?: EventPublisher;
}

/**
 * The job events' EventBridge client: the SDK's 3 attempts, 1 s to connect and 5 s per request,
 * past which it fails and the step that settled the job is retried.
 */
export const jobsEventBridgeSettings: EventBridgeClientSettings = Object.freeze({
  sdkMaxAttempts: 3,
  timeouts: Object.freeze({
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    throwOnRequestTimeout: true,
  }),
});

/** The callback secrets from the config's secret, unless given; none when neither is. */
function callbackSecretsOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings) {
  if (ports.secrets) return { secrets: ports.secrets, close: () => {} };
  if (!config.callbackSecretId) return { close: () => {} };
  const client = traceAwsClient(new SecretsManagerClient(awsClientOptions(undefined, settings)));
  return {
    secrets: new SecretsManagerCallbackSecrets(client, config.callbackSecretId),
    close: () => client.destroy(),
  };
}

/** The callback queue from the config's URL, unless given; none when neither is. */
function callbackQueueOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings) {
  if (ports.callbacks) return { callbacks: ports.callbacks, close: () => {} };
  if (!config.jobCallbacksQueueUrl) return { close: () => {} };
  const client = traceAwsClient(new SQSClient(awsClientOptions(undefined, settings)));
  return {
    callbacks: new SqsCallbackQueue(client, config.jobCallbacksQueueUrl),
    close: () => client.destroy(),
  };
}

/** What tells that a job ended: its events on the bus and its callback queued. */
function notifierOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings, logger: Logger) {
  const { callbacks, close: closeCallbacks } = callbackQueueOf(config, ports, settings);
  let events = ports.events;
  let closeEvents = () => {};
  if (!events && config.eventBusName) {
    const owned = createEventBridgePublisher({
      eventBusName: config.eventBusName,
      client: jobsEventBridgeSettings,
      ...(config.eventBridgeEndpoint ? { endpoint: config.eventBridgeEndpoint } : {}),
      ...settings,
      logger,
    });
    events = owned.publisher;
    closeEvents = owned.close;
  }
  return {
    notify: makeJobNotifier({ ...(events ? { events } : {}), ...(callbacks ? { callbacks } : {}), logger }),
    close() {
      closeCallbacks();
      closeEvents();
    },
  };
}

export interface JobsApiPlatformOptions extends JobPorts, AwsClientSettings {
  /** @default - `config.tenantsJson` */
  readonly tenants?: TenantDirectory;
  /** @default { allowLoopbackHttp: false } */
  readonly callbackPolicy?: CallbackPolicy;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export interface JobsApiPlatform {
  readonly endpoint: HttpEndpoint;
  readonly resolveTenant: TenantResolver;
  readonly service: JobService;
  close(): void;
}

/** The job store on the config's table (`DynamoDbJobStore`), unless one is given. */
function jobStoreOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings) {
  if (ports.jobs) return { jobs: ports.jobs, close: () => {} };
  const tableName = requireJobsSetting(config, 'jobsTable');
  const client = createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, settings));
  const jobs = new DynamoDbJobStore(client, { tableName });
  return { jobs, close: () => client.destroy() };
}

/** The document store on the config's bucket (`S3DocumentStore`), unless one is given. */
function documentStoreOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings) {
  if (ports.documents) return { documents: ports.documents, close: () => {} };
  const bucket = requireJobsSetting(config, 'documentsBucket');
  const client = createS3Client(awsClientOptions(undefined, settings));
  const documents = new S3DocumentStore({ client, bucket });
  return { documents, close: () => client.destroy() };
}

/** The job queues (one per priority) from the config's URLs, unless given. */
function jobQueueOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings) {
  if (ports.queue) return { queue: ports.queue, close: () => {} };
  const queueUrls = {
    normal: requireJobsSetting(config, 'jobsQueueUrl'),
    low: requireJobsSetting(config, 'jobsLowQueueUrl'),
  };
  const client = traceAwsClient(new SQSClient(awsClientOptions(undefined, settings)));
  return { queue: new SqsJobQueue(client, queueUrls), close: () => client.destroy() };
}

/** The job workflow's executions on the config's state machine, unless given. */
function executionsOf(config: JobsConfig, ports: JobPorts, settings: AwsClientSettings) {
  if (ports.executions) return { executions: ports.executions, close: () => {} };
  const stateMachineArn = requireJobsSetting(config, 'jobStateMachineArn');
  const client = traceAwsClient(new SFNClient(awsClientOptions(undefined, settings)));
  const executions = new StepFunctionsJobExecutions(client, stateMachineArn);
  return { executions, close: () => client.destroy() };
}

/**
 * The composition root of the jobs API (`POST /v1/uploads`, `POST /v1/jobs`, `GET`/`DELETE
 * /v1/jobs/{id}`): the job store, the document store, the queues and the state machine's
 * executions (to stop a cancelled job), the catalog's model names and the tenants. Builds no
 * model client. Outside `dev` it requires `tenantsJson`.
 */
export function createJobsApiPlatform(
  config: JobsConfig,
  options: JobsApiPlatformOptions = {},
): JobsApiPlatform {
  requireOutsideDev(config, ['tenantsJson'], 'the jobs API');
  const logger = options.logger ?? silentLogger;
  const { jobs, close: closeJobs } = jobStoreOf(config, options, options);
  const { documents, close: closeDocuments } = documentStoreOf(config, options, options);
  const { executions, close: closeExecutions } = executionsOf(config, options, options);
  const { queue, close: closeQueue } = jobQueueOf(config, options, options);
  const service = new JobService({ jobs, documents, queue, executions, logger });
  const catalog = loadModelCatalog(config.modelCatalogJson);
  const { secrets, close: closeSecrets } = callbackSecretsOf(config, options, options);
  return {
    endpoint: makeJobsEndpoint({
      service,
      modelNames: modelNames(catalog),
      callbackPolicy: options.callbackPolicy ?? { allowLoopbackHttp: false },
      ...(secrets ? { callbackSecrets: secrets } : {}),
      logger,
    }),
    resolveTenant: tenantResolver(options.tenants ?? tenantDirectoryOf(config)),
    service,
    close() {
      closeJobs();
      closeDocuments();
      closeExecutions();
      closeQueue();
      closeSecrets();
    },
  };
}

export interface JobStarterPlatformOptions
  extends Pick<JobPorts, 'jobs' | 'executions' | 'queue'>,
    AwsClientSettings {
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * The composition root of the job queues' consumer: the job store, the state machine, and the
 * queues (to queue again a job whose tenant runs `jobsPerTenant` jobs already).
 */
export function createJobStarterPlatform(
  config: JobsConfig,
  options: JobStarterPlatformOptions = {},
): { start: JobStarter; abandon: (body: string, reason: string) => Promise<void>; close(): void } {
  const logger = options.logger ?? silentLogger;
  const { jobs, close: closeJobs } = jobStoreOf(config, options, options);
  const { executions, close: closeExecutions } = executionsOf(config, options, options);
  const { queue, close: closeQueue } = jobQueueOf(config, options, options);
  return {
    start: makeJobStarter({ jobs, executions, queue, cap: { maxRunning: config.jobsPerTenant }, logger }),
    abandon: makeJobStartAbandoner({ jobs, logger }),
    close() {
      closeJobs();
      closeExecutions();
      closeQueue();
    },
  };
}

export interface JobStepsPlatformOptions
  extends ChatPlatformOptions,
    Pick<JobPorts, 'jobs' | 'documents' | 'callbacks' | 'events'> {}

/**
 * The composition root of the job workflow's steps function: the gateway and the tenants' budgets
 * (the chat core), the job store and the document store. Outside `dev` it requires `redisUrl`
 * and `tenantsJson`, as the chat doors (budgets are shared with them).
 */
export function createJobStepsPlatform(config: JobsConfig, options: JobStepsPlatformOptions = {}) {
  // Outside dev a missing bus or callback queue is a wiring mistake, not "no notifications".
  requireOutsideDev(
    config,
    ['redisUrl', 'tenantsJson', 'eventBusName', 'jobCallbacksQueueUrl'],
    'the job steps',
  );
  const { core, close: closeCore } = coreOf(config, options);
  const { jobs, close: closeJobs } = jobStoreOf(config, options, options);
  const { documents, close: closeDocuments } = documentStoreOf(config, options, options);
  const notifier = notifierOf(config, options, options, core.logger);
  const steps = makeJobSteps({
    jobs,
    documents,
    model: core.gateway,
    catalog: core.catalog,
    ...(core.budget ? { budget: core.budget } : {}),
    onSettled: notifier.notify,
    logger: core.logger,
  });
  return {
    handler: makeJobStepsHandler(steps),
    gateway: core.gateway,
    async close() {
      closeJobs();
      closeDocuments();
      notifier.close();
      await closeCore();
    },
  };
}

export type JobStepsPlatform = ReturnType<typeof createJobStepsPlatform>;

/** The composition root of the workflow's safety net: the job store, and what tells that a job ended. */
export function createExecutionEndedPlatform(
  config: JobsConfig,
  options: Pick<JobPorts, 'jobs' | 'callbacks' | 'events'> &
    AwsClientSettings & { readonly logger?: Logger } = {},
) {
  requireOutsideDev(config, ['eventBusName', 'jobCallbacksQueueUrl'], 'the job execution safety net');
  const logger = options.logger ?? silentLogger;
  const { jobs, close: closeJobs } = jobStoreOf(config, options, options);
  const notifier = notifierOf(config, options, options, logger);
  return {
    ended: makeExecutionEndedHandler({ jobs, onSettled: notifier.notify, logger }),
    close() {
      closeJobs();
      notifier.close();
    },
  };
}

export interface CallbackDeliveryPlatformOptions
  extends Pick<JobPorts, 'jobs' | 'documents' | 'secrets' | 'callbacks'>,
    AwsClientSettings {
  /** @default an `HttpCallbackSender` under `callbackPolicy` */
  readonly sender?: CallbackSender;
  /** @default { allowLoopbackHttp: false } */
  readonly callbackPolicy?: CallbackPolicy;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * The composition root of the callback queue's consumer: the job store, the document store (to
 * link long results), the tenants' secrets, the sender and the queue (to schedule retries).
 * Requires `callbackSecretId` and `jobCallbacksQueueUrl` unless those ports are given.
 */
export function createCallbackDeliveryPlatform(
  config: JobsConfig,
  options: CallbackDeliveryPlatformOptions = {},
) {
  const logger = options.logger ?? silentLogger;
  const { secrets, close: closeSecrets } = callbackSecretsOf(config, options, options);
  if (!secrets) throw new ConfigurationError(`${gatewayEnvironment.callbackSecretId} is required`);
  const { callbacks, close: closeCallbacks } = callbackQueueOf(config, options, options);
  if (!callbacks) throw new ConfigurationError(`${gatewayEnvironment.jobCallbacksQueueUrl} is required`);
  const { jobs, close: closeJobs } = jobStoreOf(config, options, options);
  const { documents, close: closeDocuments } = documentStoreOf(config, options, options);
  const sender =
    options.sender ??
    new HttpCallbackSender({ allowLoopbackHttp: options.callbackPolicy?.allowLoopbackHttp ?? false });
  const deliver = makeCallbackDeliverer({ jobs, documents, secrets, sender, logger });
  return {
    handler: makeCallbackQueueHandler(deliver, callbacks, logger),
    close() {
      closeJobs();
      closeDocuments();
      closeSecrets();
      closeCallbacks();
    },
  };
}
