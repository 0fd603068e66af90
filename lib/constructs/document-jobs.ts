import type { JobPriority } from '@mangaassist/contracts';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IRequestValidator, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { JobAlarms } from './job-alarms.js';
import { JobCallbackDeliverer } from './job-callback-deliverer.js';
import { JobCallbackQueue } from './job-callback-queue.js';
import { JobExecutionSafetyNet } from './job-execution-safety-net.js';
import { JobNotifications } from './job-notifications.js';
import { JobQueues } from './job-queues.js';
import { JobRoutes } from './job-routes.js';
import { JobStarter } from './job-starter.js';
import { JobWorkflow } from './job-workflow.js';
import type { SharedFunctionProps } from './platform-function.js';

export interface DocumentJobsProps {
  /** Deployment stage: resource names, descriptions and `MANGA_ENV`. */
  readonly stage: string;
  /** The REST API the job routes are added to. */
  readonly restApi: RestApi;
  readonly requestValidator: IRequestValidator;
  /** Bedrock permission, gateway settings and the model catalog. */
  readonly bedrock: BedrockInvokeAccess;
  /** The tenants' API keys and budgets, for the jobs API (`TenantApiKeys.environment`). */
  readonly tenantsEnvironment: Readonly<Record<string, string>>;
  /** Jobs and their idempotency keys (the stateful stack's `jobsTable`). */
  readonly jobsTable: ITable;
  /** Uploads and every job's objects (the stateful stack's `documentsBucket`). */
  readonly documentsBucket: IBucket;
  /**
   * The AI bus: the steps' `InferenceCompleted` events, and the `JobCompleted` and `JobFailed` of
   * settled jobs (from the steps and the safety net), which the notification rule listens for.
   */
  readonly eventBus: IEventBus;
  /** The tenants' callback signing secrets (the stateful stack's `callbackSecret`). */
  readonly callbackSecret: ISecret;
  /**
   * What the API's functions share. The steps function takes all of it (network and environment
   * included: it builds the gateway on Redis); the other job functions only logging and tracing.
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: SharedFunctionProps;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /**
   * Chunks of one job asked of the model at once.
   * @default 4
   */
  readonly chunkConcurrency?: number;
  /**
   * Starter instances per lane.
   * @default { normal: 10, low: 2 }
   */
  readonly laneConcurrency?: Readonly<Record<JobPriority, number>>;
  /**
   * @default Duration.seconds(30)
   */
  readonly starterTimeout?: Duration;
  /**
   * @default 1024
   */
  readonly stepsMemorySize?: number;
  /**
   * @default Duration.seconds(280)
   */
  readonly stepsTimeout?: Duration;
  /**
   * Lifetime of cached complete answers (`RESPONSE_CACHE_TTL_SECONDS`).
   * @default 300
   */
  readonly responseCacheTtlSeconds?: number;
  /**
   * Age of a lane's oldest queued job, seconds, above which its alarm fires.
   * @default 900
   */
  readonly queueAgeAlarmSeconds?: number;
  /**
   * Callback deliverer instances at most (the event source mapping's maximum concurrency, 2–1000).
   * @default 5
   */
  readonly callbackConcurrency?: number;
  /**
   * Jobs one tenant may run at once; the next wait in their queue.
   * @default 5
   */
  readonly jobsPerTenant?: number;
  /**
   * The callback deliverer's timeout; the callback queue's visibility timeout is six times it.
   * @default Duration.seconds(30)
   */
  readonly callbackTimeout?: Duration;
  /**
   * Age of the oldest callback still on its first attempts, seconds, above which its alarm fires.
   * @default 32400
   */
  readonly callbackAgeAlarmSeconds?: number;
  /**
   * What happens to the queues, the workflow's logs and the notification topic's key when the
   * construct goes away.
   * @default - each part's default (all DESTROY)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Asynchronous document jobs (seed 001 §2.4.1), each concern its own construct:
 * `JobRoutes` (the REST routes and their function) queue jobs on `JobQueues` (a normal and a low
 * priority lane, each with a dead-letter queue); `JobStarter` starts a `JobWorkflow` execution
 * (Step Functions, with its steps function) per queued job; `JobExecutionSafetyNet` fails the jobs
 * of executions that ended unsettled. A job that settles (succeeded or failed, from the steps or
 * the safety net) is announced on the AI bus (`JobCompleted`, `JobFailed`), which
 * `JobNotifications` forwards to an SNS topic, and, with a `callback_url`, queued on
 * `JobCallbackQueue`, whose `JobCallbackDeliverer` POSTs it to the tenant signed with the tenant's
 * secret (`callbackSecret`, read by the jobs API too). `JobAlarms` watches the lanes, the callback
 * queue, the dead letters and the executions.
 */
export class DocumentJobs extends Construct {
  readonly queues: JobQueues;
  readonly workflow: JobWorkflow;
  readonly starter: JobStarter;
  readonly safetyNet: JobExecutionSafetyNet;
  readonly routes: JobRoutes;
  readonly callbackQueue: JobCallbackQueue;
  readonly callbacks: JobCallbackDeliverer;
  readonly notifications: JobNotifications;
  readonly alarms: JobAlarms;

  constructor(scope: Construct, id: string, props: DocumentJobsProps) {
    super(scope, id);
    const { network: _vpc, environment: _shared, ...loggingDefaults } = props.functionDefaults ?? {};
    const starterTimeout = props.starterTimeout ?? Duration.seconds(30);
    const callbackTimeout = props.callbackTimeout ?? Duration.seconds(30);
    const removalPolicy = props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {};

    this.queues = new JobQueues(this, 'Queues', { consumerTimeout: starterTimeout, ...removalPolicy });
    const queues = { normal: this.queues.lanes.normal.queue, low: this.queues.lanes.low.queue };
    this.callbackQueue = new JobCallbackQueue(this, 'Callbacks', {
      consumerTimeout: callbackTimeout,
      ...removalPolicy,
    });
    const callbackQueue = this.callbackQueue.queue;

    this.workflow = new JobWorkflow(this, 'Workflow', {
      stage: props.stage,
      jobsTable: props.jobsTable,
      documentsBucket: props.documentsBucket,
      bedrock: props.bedrock,
      eventBus: props.eventBus,
      callbackQueue,
      ...(props.functionDefaults ? { functionDefaults: props.functionDefaults } : {}),
      ...(props.chunkConcurrency !== undefined ? { chunkConcurrency: props.chunkConcurrency } : {}),
      ...(props.stepsMemorySize !== undefined ? { stepsMemorySize: props.stepsMemorySize } : {}),
      ...(props.stepsTimeout !== undefined ? { stepsTimeout: props.stepsTimeout } : {}),
      ...(props.responseCacheTtlSeconds !== undefined
        ? { responseCacheTtlSeconds: props.responseCacheTtlSeconds }
        : {}),
      ...(loggingDefaults.logRetention !== undefined ? { logRetention: loggingDefaults.logRetention } : {}),
      ...(props.removalPolicy !== undefined ? { logRemovalPolicy: props.removalPolicy } : {}),
      ...(loggingDefaults.tracing !== undefined ? { tracing: loggingDefaults.tracing } : {}),
    });
    const { stateMachine } = this.workflow;

    this.starter = new JobStarter(this, 'Starter', {
      stage: props.stage,
      queues,
      jobsTable: props.jobsTable,
      stateMachine,
      ...(props.laneConcurrency ? { laneConcurrency: props.laneConcurrency } : {}),
      ...(props.jobsPerTenant !== undefined ? { jobsPerTenant: props.jobsPerTenant } : {}),
      timeout: starterTimeout,
      functionDefaults: loggingDefaults,
    });

    this.safetyNet = new JobExecutionSafetyNet(this, 'SafetyNet', {
      stage: props.stage,
      stateMachine,
      jobsTable: props.jobsTable,
      eventBus: props.eventBus,
      callbackQueue,
      functionDefaults: loggingDefaults,
      ...removalPolicy,
    });

    this.routes = new JobRoutes(this, 'Routes', {
      stage: props.stage,
      restApi: props.restApi,
      requestValidator: props.requestValidator,
      bedrock: props.bedrock,
      tenantsEnvironment: props.tenantsEnvironment,
      jobsTable: props.jobsTable,
      documentsBucket: props.documentsBucket,
      queues,
      stateMachine,
      callbackSecret: props.callbackSecret,
      functionDefaults: loggingDefaults,
    });

    this.callbacks = new JobCallbackDeliverer(this, 'CallbackDeliverer', {
      stage: props.stage,
      queue: callbackQueue,
      jobsTable: props.jobsTable,
      documentsBucket: props.documentsBucket,
      callbackSecret: props.callbackSecret,
      ...(props.callbackConcurrency !== undefined ? { maxConcurrency: props.callbackConcurrency } : {}),
      timeout: callbackTimeout,
      functionDefaults: loggingDefaults,
    });

    this.notifications = new JobNotifications(this, 'Notifications', {
      stage: props.stage,
      eventBus: props.eventBus,
      ...removalPolicy,
    });

    this.alarms = new JobAlarms(this, 'Alarms', {
      stage: props.stage,
      topic: props.alarmTopic,
      lanes: {
        normal: { queue: queues.normal, deadLetters: this.queues.lanes.normal.deadLetters.queue },
        low: { queue: queues.low, deadLetters: this.queues.lanes.low.deadLetters.queue },
      },
      stateMachine,
      safetyNetDeadLetters: this.safetyNet.deadLetters.queue,
      callbacks: { queue: callbackQueue, deadLetters: this.callbackQueue.deadLetters.queue },
      notificationDeadLetters: this.notifications.deadLetters.queue,
      ...(props.queueAgeAlarmSeconds !== undefined ? { queueAgeSeconds: props.queueAgeAlarmSeconds } : {}),
      ...(props.callbackAgeAlarmSeconds !== undefined
        ? { callbackAgeSeconds: props.callbackAgeAlarmSeconds }
        : {}),
    });
  }
}
