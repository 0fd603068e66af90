import { type Clock, errorMessage, type Logger, silentLogger, systemClock } from '@mangaassist/commons';
import {
  type BatchInference,
  type BatchJobDescription,
  type BatchJobStatus,
  isTerminalBatchStatus,
  toBatchJobStatus,
} from '@mangaassist/fm-gateway/batch';
import * as z from 'zod/mini';
import { batchJobNamePrefix, reenrichmentKeys } from './reenrichment-objects.js';
import { type BatchTask, batchTaskSchema, type ReenrichmentObjects } from './reenrichment-steps.js';
import { reenrichmentStepErrors, reenrichmentTimeoutHours } from './reenrichment-workflow.js';

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
  readonly objects: Pick<ReenrichmentObjects, 'get' | 'put'>;
  readonly batch: Pick<BatchInference, 'describe' | 'list'>;
  readonly callbacks: TaskCallbacks;
  readonly stage: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** What a state change did. */
export type BatchCompletionOutcome = 'succeeded' | 'failed' | 'ignored' | 'already-completed';

/** What a sweep found: the stage's jobs of the window, and the waiting states it completed. */
export interface BatchSweep {
  readonly jobs: number;
  /** Jobs still running: their state change is still to come. */
  readonly running: number;
  /** Ended jobs whose waiting state the sweep completed: their state change was lost or late. */
  readonly completed: number;
}

/** How often a scheduled rule sweeps for jobs whose state change was lost (EventBridge's expression). */
export const batchSweepSchedule = 'rate(1 hour)' as const;

/** What `markCompleted` writes beside a job's task record. */
const completedMarkerSchema = z.object({ task_token: z.string(), completed_at: z.string() });

/** EventBridge's scheduled event, which starts a sweep. */
const scheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

/** How far back a sweep looks: a job submitted earlier has no run waiting for it any more. */
const sweepWindowMs = reenrichmentTimeoutHours * 3_600_000;

/**
 * Completes the re-enrichment's RunBatchJob state from its batch job's state change (the rule on
 * the default bus): a job that ended Completed or PartiallyCompleted succeeds the state with
 * `{ status, job_arn, output_file, records }`; one that ended Failed, Stopped or Expired fails it
 * with `BatchJobFailed` (the workflow then enriches on demand). Ignored: another stage's or
 * another workflow's job, a status that is not final, a job whose token is not recorded. A token
 * completed already is no error (`already-completed`): EventBridge may deliver a change twice.
 * The token is marked completed afterwards (beside its record), best effort.
 *
 * EventBridge's scheduled event starts a sweep instead, the backstop for a state change that never
 * arrived: every job of the stage submitted within the workflow's timeout that has ended completes
 * its waiting state as its state change would have (tokens marked completed are passed over), and the
 * sweep answers a `BatchSweep`.
 *
 * Rejects on a store, Bedrock or Step Functions failure, for the rule's retries and DLQ; a sweep
 * tries every job first and then rejects with an `AggregateError` of the jobs that failed.
 */
export function makeBatchCompletion(dependencies: BatchCompletionDependencies) {
  const { objects, callbacks } = dependencies;
  const logger = dependencies.logger ?? silentLogger;
  const clock = dependencies.clock ?? systemClock;
  const prefix = batchJobNamePrefix(dependencies.stage);

  async function readJson(key: string): Promise<unknown> {
    const body = await objects.get(key);
    return body === undefined ? undefined : JSON.parse(new TextDecoder().decode(body));
  }

  async function recordedTask(jobName: string): Promise<BatchTask | undefined> {
    const task = batchTaskSchema.safeParse(await readJson(reenrichmentKeys.batchTask(jobName)));
    return task.success ? task.data : undefined;
  }

  /** Whether this very token was completed already (a sweep passes it over). */
  async function completedAlready(jobName: string, task: BatchTask): Promise<boolean> {
    const marker = completedMarkerSchema.safeParse(
      await readJson(reenrichmentKeys.batchTaskCompleted(jobName)),
    );
    return marker.success && marker.data.task_token === task.task_token;
  }

  /** Marks the token completed so that sweeps pass it over; a failure only costs a sweep a call. */
  async function markCompleted(jobName: string, task: BatchTask) {
    try {
      const marker = { task_token: task.task_token, completed_at: new Date(clock.now()).toISOString() };
      await objects.put(reenrichmentKeys.batchTaskCompleted(jobName), JSON.stringify(marker));
    } catch (error) {
      logger.warn('batch completion: the task could not be marked completed', {
        jobName,
        error: errorMessage(error),
      });
    }
  }

  /** Completes the job's waiting state; `output` gives the ended job's output (described once). */
  async function completeJob(
    job: { jobName: string; jobArn: string; status: BatchJobStatus; failureMessage?: string | undefined },
    output: () => Promise<Pick<BatchJobDescription, 'output' | 'records'>>,
  ): Promise<BatchCompletionOutcome> {
    const { jobName, jobArn, status } = job;
    const task = await recordedTask(jobName);
    if (task === undefined) {
      logger.warn('batch completion: no task token recorded for the job', { jobName, jobArn });
      return 'ignored';
    }
    if (await completedAlready(jobName, task)) return 'already-completed';
    const { task_token: token, run_id: run } = task;
    let outcome: BatchCompletionOutcome;
    try {
      outcome = await settle(token, jobName, jobArn, status, job.failureMessage, output);
    } catch (error) {
      if (!(error instanceof TaskTokenGoneError)) throw error;
      logger.info('batch completion: the task was completed already', { run, jobArn });
      outcome = 'already-completed';
    }
    if (outcome === 'succeeded') {
      logger.info('batch completion: the job ended, its results are applied next', { run, jobArn, status });
    } else if (outcome === 'failed') {
      logger.warn('batch completion: the job did not complete; the run enriches on demand', {
        run,
        jobArn,
        status,
      });
    }
    await markCompleted(jobName, task);
    return outcome;
  }

  async function settle(
    token: string,
    jobName: string,
    jobArn: string,
    status: BatchJobStatus,
    failureMessage: string | undefined,
    output: () => Promise<Pick<BatchJobDescription, 'output' | 'records'>>,
  ): Promise<'succeeded' | 'failed'> {
    if (status !== 'Completed' && status !== 'PartiallyCompleted') {
      const why = failureMessage ? `: ${failureMessage}` : '';
      await callbacks.fail(token, reenrichmentStepErrors.batchJobFailed, `${jobName} ended ${status}${why}`);
      return 'failed';
    }
    const ended = await output();
    if (ended.output.file === undefined) {
      await callbacks.fail(token, reenrichmentStepErrors.batchJobFailed, `${jobName} wrote no output file`);
      return 'failed';
    }
    await callbacks.succeed(token, {
      status,
      job_arn: jobArn,
      output_file: ended.output.file,
      ...(ended.records ? { records: ended.records } : {}),
    });
    return 'succeeded';
  }

  async function sweep(): Promise<BatchSweep> {
    const jobs = await dependencies.batch.list({
      nameContains: prefix,
      submittedAfter: new Date(clock.now() - sweepWindowMs),
    });
    const ours = jobs.filter((job) => job.jobName.startsWith(prefix));
    const ended = ours.filter((job) => isTerminalBatchStatus(job.status));
    const failures: unknown[] = [];
    let completed = 0;
    for (const job of ended) {
      try {
        const outcome = await completeJob({ ...job, failureMessage: job.message }, async () => job);
        if (outcome === 'succeeded' || outcome === 'failed') completed++;
      } catch (error) {
        failures.push(error);
        logger.error('batch sweep: the job’s waiting state could not be completed', {
          jobArn: job.jobArn,
          error: errorMessage(error),
        });
      }
    }
    const summary = { jobs: ours.length, running: ours.length - ended.length, completed };
    if (completed > 0)
      logger.warn('batch sweep: completed states whose job’s state change was not heard', summary);
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `${failures.length} of ${ended.length} ended batch jobs could not be completed`,
      );
    }
    return summary;
  }

  return async (event: unknown): Promise<BatchCompletionOutcome | BatchSweep> => {
    if (scheduledEventSchema.safeParse(event).success) return sweep();
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
    return completeJob({ jobName, jobArn, status, failureMessage }, () =>
      dependencies.batch.describe(jobArn),
    );
  };
}
