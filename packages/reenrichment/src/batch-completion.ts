import { type Logger, silentLogger } from '@mangaassist/commons';
import { type BatchInference, isTerminalBatchStatus, toBatchJobStatus } from '@mangaassist/fm-gateway/batch';
import * as z from 'zod/mini';
import { batchJobNamePrefix, reenrichmentKeys } from './reenrichment-objects.js';
import { batchTaskSchema, type ReenrichmentObjects } from './reenrichment-steps.js';
import { reenrichmentStepErrors } from './reenrichment-workflow.js';

/** Completes a waiting Task state (Step Functions' SendTaskSuccess and SendTaskFailure). */
export interface TaskCallbacks {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/**
 * The token no longer waits (completed already, timed out, or its execution ended): a redelivered
 * state change, nothing to do. Adapters map Step Functions' TaskDoesNotExist, TaskTimedOut and
 * InvalidToken to it.
 */
export class TaskTokenGoneError extends Error {
  override readonly name = 'TaskTokenGoneError';
}

/** The statuses a batch job ends in: its state change to one of them completes the waiting state. */
const finalStatuses = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'] as const;

/**
 * The EventBridge pattern (the account's default bus) of the state changes that complete a stage's
 * re-enrichment batch jobs: `aws.bedrock` "Batch Inference Job State Change" of a job named
 * `batchJobNamePrefix(stage)…`, in a final status.
 */
export function batchCompletionEventPattern(stage: string) {
  return {
    source: ['aws.bedrock'],
    'detail-type': ['Batch Inference Job State Change'],
    detail: { batchJobName: [{ prefix: batchJobNamePrefix(stage) }], status: [...finalStatuses] },
  };
}

/** Bedrock's "Batch Inference Job State Change", as far as the completion reads it. */
const stateChangeSchema = z.object({
  source: z.literal('aws.bedrock'),
  'detail-type': z.literal('Batch Inference Job State Change'),
  detail: z.object({
    batchJobName: z.string(),
    batchJobArn: z.string(),
    status: z.string(),
    failureMessage: z.optional(z.string()),
  }),
});

export interface BatchCompletionDependencies {
  readonly objects: ReenrichmentObjects;
  readonly batch: Pick<BatchInference, 'describe'>;
  readonly callbacks: TaskCallbacks;
  readonly stage: string;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** What a state change did. */
export type BatchCompletionOutcome = 'succeeded' | 'failed' | 'ignored' | 'already-completed';

/**
 * Completes the re-enrichment's RunBatchJob state from its batch job's state change (the rule on
 * the default bus): a job that ended Completed or PartiallyCompleted succeeds the state with
 * `{ status, job_arn, output_file, records }`; one that ended Failed, Stopped or Expired fails it
 * with `BatchJobFailed` (the workflow then enriches on demand). Ignored: another stage's or
 * another workflow's job, a status that is not final, a job whose token is not recorded. A token
 * completed already is no error (`already-completed`): EventBridge may deliver a change twice.
 * Rejects on a store, Bedrock or Step Functions failure, for the rule's retries and DLQ.
 */
export function makeBatchCompletion(dependencies: BatchCompletionDependencies) {
  const logger = dependencies.logger ?? silentLogger;
  const prefix = batchJobNamePrefix(dependencies.stage);

  return async (event: unknown): Promise<BatchCompletionOutcome> => {
    const parsed = stateChangeSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('batch completion: not a batch inference state change', {
        issue: parsed.error.issues[0]?.message,
      });
      return 'ignored';
    }
    const {
      batchJobName: jobName,
      batchJobArn: jobArn,
      status: reported,
      failureMessage,
    } = parsed.data.detail;
    const status = toBatchJobStatus(reported);
    if (!jobName.startsWith(prefix) || !isTerminalBatchStatus(status)) return 'ignored';

    const recorded = await dependencies.objects.get(reenrichmentKeys.batchTask(jobName));
    const task =
      recorded === undefined
        ? undefined
        : batchTaskSchema.safeParse(JSON.parse(new TextDecoder().decode(recorded)));
    if (task === undefined || !task.success) {
      logger.warn('batch completion: no task token recorded for the job', { jobName, jobArn });
      return 'ignored';
    }
    const { task_token: token, run_id: run } = task.data;
    try {
      if (status === 'Completed' || status === 'PartiallyCompleted') {
        const job = await dependencies.batch.describe(jobArn);
        if (job.output.file === undefined) {
          await dependencies.callbacks.fail(
            token,
            reenrichmentStepErrors.batchJobFailed,
            `${jobName} wrote no output file`,
          );
          return 'failed';
        }
        await dependencies.callbacks.succeed(token, {
          status,
          job_arn: jobArn,
          output_file: job.output.file,
          ...(job.records ? { records: job.records } : {}),
        });
        logger.info('batch completion: the job ended, its results are applied next', { run, jobArn, status });
        return 'succeeded';
      }
      await dependencies.callbacks.fail(
        token,
        reenrichmentStepErrors.batchJobFailed,
        `${jobName} ended ${status}${failureMessage ? `: ${failureMessage}` : ''}`,
      );
      logger.warn('batch completion: the job did not complete; the run enriches on demand', {
        run,
        jobArn,
        status,
      });
      return 'failed';
    } catch (error) {
      if (!(error instanceof TaskTokenGoneError)) throw error;
      logger.info('batch completion: the task was completed already', { run, jobArn });
      return 'already-completed';
    }
  };
}
