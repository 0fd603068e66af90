import type { ChatConfig } from '@mangaassist/chat';
import type { ChatCore } from '@mangaassist/chat/platform';
import type { Logger } from '@mangaassist/commons';
import { jobsTable, tableName } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { makeJobStarterQueueHandler, makeJobsApiHandler } from '@mangaassist/fn-jobs';
import {
  type CallbackQueue,
  type CallbackSecrets,
  callbackAttempts,
  type JobExecutions,
  type JobQueue,
  jobMessageBody,
  jobStartAttempts,
  jobWorkflowDefinition,
  jobWorkflowStates,
} from '@mangaassist/jobs';
import { DynamoDbJobStore } from '@mangaassist/jobs/dynamodb';
import {
  createCallbackDeliveryPlatform,
  createExecutionEndedPlatform,
  createJobStarterPlatform,
  createJobStepsPlatform,
  createJobsApiPlatform,
  type JobsConfig,
  jobsConfigSchema,
} from '@mangaassist/jobs/platform';
import type { MessageVisibility } from '@mangaassist/jobs/sqs';
import type { TenantDirectory } from '@mangaassist/tenants';
import { generateWebhookSecret } from '@mangaassist/webhooks';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FileDocumentStore } from '../s3/file-document-store.js';
import { LocalStandardQueue } from '../sqs/local-standard-queue.js';
import {
  ExecutionAlreadyExistsError,
  type LocalStateMachines,
} from '../stepfunctions/local-state-machines.js';
import { localStage } from './local-aws.js';

/** The job state machine, as the stacks name it, locally. */
export const localJobWorkflowName = 'mangaassist-local-job-workflow';

export interface DevJobsOptions {
  readonly config: ChatConfig;
  /** The local bus, for `JobCompleted` / `JobFailed`. */
  readonly events: EventPublisher;
  /**
   * Shrinks the callbacks' retry schedule (30 s doubling to 8 h, deployed) for tests.
   * @default 1 - the deployed schedule
   */
  readonly callbackRetryScale?: number;
  readonly core: ChatCore;
  readonly tenants: TenantDirectory;
  /** The local bucket: documents, chunks, answers and results, behind presigned URLs. */
  readonly documents: FileDocumentStore;
  /** Where the job state machine is added and runs. */
  readonly machines: LocalStateMachines;
  readonly logger: Logger;
}

/**
 * The job doors the stacks deploy, over local stand-ins: the jobs API, the two job queues (SQS
 * semantics, consumed by the deployed starter handler) and the job state machine (the deployed
 * ASL, run in process, its Task states the deployed steps handler). Jobs live in the embedded
 * DynamoDB, documents in a temporary directory.
 */
export function createDevJobs(options: DevJobsOptions) {
  const { core, documents, logger } = options;
  const config: JobsConfig = jobsConfigSchema.parse({
    ...options.config,
    jobsTable: tableName(localStage, jobsTable),
  });
  const jobs = new DynamoDbJobStore(core.documents(), { tableName: tableName(localStage, jobsTable) });

  // Each dev tenant's callback signing secret (GET /_local/callback-secrets), new at every start.
  const callbackSecrets = Object.fromEntries(
    options.tenants.list().map((tenant) => [tenant.id, generateWebhookSecret('standard-webhooks')]),
  );
  const secrets: CallbackSecrets = { signingSecret: async (tenantId) => callbackSecrets[tenantId] };
  const retryScale = options.callbackRetryScale ?? 1;
  let deliverCallbacks: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;
  const callbackLane = new LocalStandardQueue({
    name: `mangaassist-${localStage}-job-callbacks`,
    consume: async (event) => deliverCallbacks?.(event),
    // As the stack's redrive policy: one receive per attempt of the 24-hour schedule.
    maxReceiveCount: callbackAttempts,
    logger,
  });
  const callbacks: CallbackQueue & MessageVisibility = {
    async enqueue(message) {
      callbackLane.send(JSON.stringify(message));
    },
    async later(record, seconds) {
      callbackLane.changeMessageVisibility(record.receiptHandle, Math.round(seconds * 1000 * retryScale));
    },
  };
  const ports = { jobs, documents, callbacks, events: options.events };
  const delivery = createCallbackDeliveryPlatform(config, {
    ...ports,
    secrets,
    callbackPolicy: { allowLoopbackHttp: true },
    logger,
  });
  deliverCallbacks = delivery.handler;

  const steps = createJobStepsPlatform(config, { core, ...ports });
  const { machines } = options;
  machines.add({
    name: localJobWorkflowName,
    definition: jobWorkflowDefinition(),
    tasks: Object.fromEntries(
      Object.values(jobWorkflowStates).map((state) => [
        state,
        // The execution's signal: a stopped job's model call is cancelled at once.
        (input: unknown, context: { readonly signal: AbortSignal }) =>
          steps.handler(input, { signal: context.signal }),
      ]),
    ),
  });
  // Deployed, Step Functions' status change events reach the same handler through a bus rule.
  const executionEnded = createExecutionEndedPlatform(config, { ...ports, logger }).ended;
  const executions: JobExecutions = {
    async start(jobId) {
      try {
        const executionId = machines.start(localJobWorkflowName, { job_id: jobId }, { name: jobId });
        void machines
          .finished(executionId)
          .then((ended) =>
            ended && ended.status !== 'RUNNING'
              ? executionEnded({
                  jobId,
                  status: ended.status,
                  ...(ended.error ? { error: ended.error } : {}),
                  ...(ended.cause ? { cause: ended.cause } : {}),
                })
              : undefined,
          )
          .catch((error: unknown) =>
            logger.error('settling an ended job failed', { jobId, error: String(error) }),
          );
        return executionId;
      } catch (error) {
        // As StepFunctionsJobExecutions: the job's execution exists (it has run), so it is not started twice.
        if (error instanceof ExecutionAlreadyExistsError) {
          return `arn:aws:states:local:000000000000:execution:${localJobWorkflowName}:${jobId}`;
        }
        throw error;
      }
    },
    async stop(executionId, cause) {
      machines.stop(executionId, cause);
    },
  };

  // The lanes are built below (their consumer needs the starter, which queues deferred jobs here).
  const queue: JobQueue = {
    async send(jobId, priority, options = {}) {
      lanes[priority].send(jobMessageBody(jobId, priority, options.queuedAt), {
        delayMs: (options.delaySeconds ?? 0) * 1000,
      });
    },
  };
  const starter = createJobStarterPlatform(config, { jobs, executions, queue, logger });
  const consume = makeJobStarterQueueHandler({ start: starter.start, abandon: starter.abandon, logger });
  // As the stacks deploy them: a visibility timeout per retry, five receives, then the DLQ.
  const lanes = {
    normal: new LocalStandardQueue({
      name: `mangaassist-${localStage}-jobs`,
      consume,
      maxReceiveCount: 5,
      logger,
    }),
    low: new LocalStandardQueue({
      name: `mangaassist-${localStage}-jobs-low`,
      consume,
      maxReceiveCount: jobStartAttempts,
      maxConcurrency: 1,
      logger,
    }),
  };

  const api = createJobsApiPlatform(config, {
    tenants: options.tenants,
    jobs,
    documents,
    queue,
    executions,
    secrets,
    callbackPolicy: { allowLoopbackHttp: true },
    logger,
  });
  return {
    handler: makeJobsApiHandler(api),
    queues: [lanes.normal, lanes.low, callbackLane],
    /** Each dev tenant's callback signing secret (also at `GET /_local/callback-secrets`). */
    callbackSecrets: Object.fromEntries(
      Object.entries(callbackSecrets).map(([tenant, secret]) => [tenant, [secret]]),
    ),
    /** After the queues have drained and the state machines have stopped. */
    async close() {
      await steps.close();
    },
  };
}
