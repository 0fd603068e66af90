import { type Logger, silentLogger } from '@mangaassist/commons';
import { addTraceAnnotations } from '@mangaassist/commons/tracing';
import type { JobFailure, JobRecord } from '../job.js';
import type { JobStore } from '../job-store.js';
import { describeFailure } from './job-steps.js';

/** How an execution of the job workflow ended (deployed: Step Functions' status change event). */
export interface ExecutionEnded {
  /** The execution's name: the job id. */
  readonly jobId: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly error?: string;
  readonly cause?: string;
}

/**
 * The safety net under the workflow: an execution can end without its RecordFailure state (it
 * timed out, was stopped from the console, or failed where no Catch reaches, such as a Choice on
 * a missing path). A job still queued or running when its execution has ended is failed here,
 * with the reason, so that no job stays `running` forever. A job the workflow settled is left
 * as it is.
 */
export function makeExecutionEndedHandler(deps: {
  readonly jobs: JobStore;
  readonly onSettled?: (job: JobRecord) => Promise<void>;
  readonly now?: () => Date;
  readonly logger?: Logger;
}) {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => new Date());
  return async (ended: ExecutionEnded): Promise<JobRecord | undefined> => {
    const failed = await deps.jobs.transition(ended.jobId, ['queued', 'running'], {
      status: 'failed',
      error: failureOf(ended),
      updatedAt: now().toISOString(),
    });
    if (!failed) return undefined;
    addTraceAnnotations({ tenant: failed.tenantId });
    logger.error('job execution ended without settling its job', {
      jobId: ended.jobId,
      status: ended.status,
      error: ended.error,
    });
    await deps.onSettled?.(failed);
    return failed;
  };
}

function failureOf(ended: ExecutionEnded): JobFailure {
  switch (ended.status) {
    case 'TIMED_OUT':
      return { code: 'timeout', message: 'The job took longer than its time limit.' };
    case 'ABORTED':
      return { code: 'execution_stopped', message: 'The job’s execution was stopped.' };
    case 'SUCCEEDED':
      return { code: 'internal_error', message: 'The job’s execution ended without a result.' };
    case 'FAILED':
      return describeFailure({
        ...(ended.error ? { Error: ended.error } : {}),
        ...(ended.cause ? { Cause: ended.cause } : {}),
      });
  }
}
