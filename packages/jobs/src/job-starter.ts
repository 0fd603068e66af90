import { type Logger, silentLogger } from '@mangaassist/commons';
import { addTraceAnnotations } from '@mangaassist/commons/tracing';
import { type JobPriority, jobIdSchema, jobPriorities } from '@mangaassist/contracts';
import * as z from 'zod/mini';
import type { JobRecord } from './job.js';
import type { JobStore } from './job-store.js';

/** Where new jobs wait to be started (deployed: an SQS queue per priority). */
export interface JobQueue {
  /**
   * Queues the job (its id, lane and `queuedAt`: the job store has the rest), after `delaySeconds`
   * (0 to 900) when given. Throws when the queue refuses.
   */
  send(jobId: string, priority: JobPriority, options?: JobSendOptions): Promise<void>;
}

export interface JobSendOptions {
  readonly delaySeconds?: number;
  /** When the job was first queued (ISO 8601): every message of the job carries it. */
  readonly queuedAt?: string;
}

/** Runs job workflows (deployed: Step Functions Standard executions of the job state machine). */
export interface JobExecutions {
  /**
   * Starts the workflow of a job, named by the job id, so a second start of the same job (a
   * redelivered message) is the same execution: resolves with its id either way.
   */
  start(jobId: string): Promise<string>;
  /** Stops an execution; an execution that has already ended is not an error. */
  stop(executionId: string, cause: string): Promise<void>;
}

/**
 * Receives a job's start message gets (the queues' `maxReceiveCount`): after the last failed one
 * the job is failed (`start_failed`) as its message goes to the dead-letter queue.
 */
export const jobStartAttempts = 5;

/**
 * How long after it was queued a job's record may still be missing: the API queues a job before
 * it stores it (a 503 then leaves no job behind), so its first message can arrive first.
 */
export const jobStoreGraceSeconds = 60;

/**
 * How long a message whose job is not stored yet waits before it asks again: as long as it has
 * waited so far, 2 to 30 s (about six messages for a job that is never stored).
 */
function notStoredDelaySeconds(ageMs: number): number {
  return Math.min(30, Math.max(2, Math.ceil(ageMs / 1000)));
}

/**
 * A queued job's message: its id, and the lane and first queueing time `JobService` and the
 * starter write (absent from a message of an earlier release). Fields this release does not know
 * are ignored, so that a message of a later one (a rollback, a deploy under way) still starts its
 * job instead of failing into the dead-letter queue.
 */
export const jobMessageSchema = z.object({
  job_id: jobIdSchema,
  priority: z.optional(z.enum(jobPriorities)),
  queued_at: z.optional(z.iso.datetime({ offset: true })),
});

/** The body of a job's queue message. */
export function jobMessageBody(jobId: string, priority?: JobPriority, queuedAt?: string): string {
  return JSON.stringify({
    job_id: jobId,
    ...(priority === undefined ? {} : { priority }),
    ...(queuedAt === undefined ? {} : { queued_at: queuedAt }),
  });
}

/** What became of one queued message. */
export type StartOutcome =
  /** Its execution runs (just started, or already was). */
  | { readonly outcome: 'started'; readonly executionId: string }
  /** Nothing to do: no such job, or it is no longer queued (cancelled, already running or done). */
  | { readonly outcome: 'skipped'; readonly reason: string }
  /**
   * Queued again, to be tried a moment later: its tenant runs as many jobs as it may (after
   * `deferSeconds`), or its record is not stored yet (within `jobStoreGraceSeconds`).
   */
  | { readonly outcome: 'deferred'; readonly reason: string };

/** What a tenant may run at once, and how long a job waits before it asks again. */
export interface TenantJobCap {
  /** Jobs of one tenant running at once; the next wait in their queue. */
  readonly maxRunning: number;
  /** @default 30 */
  readonly deferSeconds?: number;
  /**
   * Longest a job may wait for a slot, from its creation; past it the job fails
   * (`capacity_timeout`) instead of waiting on until it expires. @default 86 400 (a day)
   */
  readonly maxWaitSeconds?: number;
}

/**
 * Starts the workflow of a queued job: the SQS consumer's logic. A job that is gone or no longer
 * queued is skipped (a cancel before its start, a redelivery); one whose tenant already runs its
 * cap of jobs is queued again for later, as is one whose record is not stored yet within
 * `jobStoreGraceSeconds` of its queueing (past it, the API never stored it: skipped); a malformed
 * message throws (it is retried, then dead-lettered, where it can be seen). Throws what the stores
 * and Step Functions throw, so the message is retried.
 */
export function makeJobStarter(deps: {
  jobs: JobStore;
  executions: JobExecutions;
  /** Where deferred jobs are queued again (a new message: waiting spends no receive). */
  queue?: JobQueue;
  /** A tenant's jobs beyond the cap are deferred (needs `queue`). */
  cap?: TenantJobCap;
  logger?: Logger;
  now?: () => Date;
}) {
  if (deps.cap && !deps.queue) throw new TypeError('a per-tenant cap needs the queue to defer jobs to');
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => new Date());

  /** A message whose job is not stored: deferred while the API may still be storing it. */
  async function notStored(message: z.output<typeof jobMessageSchema>): Promise<StartOutcome> {
    const { job_id: jobId, priority, queued_at: queuedAt } = message;
    const age = queuedAt === undefined ? Number.POSITIVE_INFINITY : now().getTime() - Date.parse(queuedAt);
    if (deps.queue && priority !== undefined && age < jobStoreGraceSeconds * 1000) {
      await deps.queue.send(jobId, priority, { delaySeconds: notStoredDelaySeconds(age), queuedAt });
      return { outcome: 'deferred', reason: 'its record is not stored yet' };
    }
    return { outcome: 'skipped', reason: 'no such job (never stored, or expired)' };
  }

  /**
   * `startedNow`: the jobs started earlier in the same batch, per tenant (the index may not show
   * them yet); the handler passes one per batch and starts the batch's records one at a time.
   */
  return async (body: string, startedNow: Map<string, Set<string>> = new Map()): Promise<StartOutcome> => {
    const message = jobMessageSchema.parse(JSON.parse(body));
    addTraceAnnotations({ job_id: message.job_id });
    const job: JobRecord | undefined = await deps.jobs.get(message.job_id);
    if (!job) return notStored(message);
    addTraceAnnotations({ tenant: job.tenantId });
    if (job.status !== 'queued') return { outcome: 'skipped', reason: `the job is ${job.status}` };
    if (deps.cap && deps.queue) {
      const running = new Set([
        ...(await deps.jobs.runningJobIds(job.tenantId)),
        ...(startedNow.get(job.tenantId) ?? []),
      ]).size;
      if (running >= deps.cap.maxRunning) {
        const waitedSeconds = (now().getTime() - Date.parse(job.createdAt)) / 1000;
        if (waitedSeconds > (deps.cap.maxWaitSeconds ?? 86_400)) {
          await deps.jobs.transition(job.jobId, ['queued'], {
            status: 'failed',
            error: {
              code: 'capacity_timeout',
              message: 'The job waited a day for one of its tenant’s running jobs to end; send it again.',
            },
            updatedAt: now().toISOString(),
          });
          return { outcome: 'skipped', reason: `waited ${Math.round(waitedSeconds)} s for a slot` };
        }
        await deps.queue.send(job.jobId, job.priority, {
          delaySeconds: deps.cap.deferSeconds ?? 30,
          queuedAt: job.createdAt,
        });
        return { outcome: 'deferred', reason: `tenant ${job.tenantId} runs ${running} jobs` };
      }
    }
    const executionId = await deps.executions.start(job.jobId);
    startedNow.set(job.tenantId, new Set([...(startedNow.get(job.tenantId) ?? []), job.jobId]));
    // Running from now on, so the cap counts it before the workflow's first step (which accepts a
    // running job); a cancel that got there first stays.
    await deps.jobs.transition(job.jobId, ['queued'], {
      status: 'running',
      executionId,
      updatedAt: now().toISOString(),
    });
    logger.info('job started', { jobId: job.jobId, tenantId: job.tenantId, executionId });
    return { outcome: 'started', executionId };
  };
}

export type JobStarter = ReturnType<typeof makeJobStarter>;

/**
 * Fails a queued job whose start message is about to be dead-lettered, so that no job stays
 * `queued` with nothing left to start it (a redrive of the message then finds it failed and skips
 * it: send the job again). Never throws for a malformed body or a job that moved on.
 */
export function makeJobStartAbandoner(deps: { jobs: JobStore; now?: () => Date; logger?: Logger }) {
  const logger = deps.logger ?? silentLogger;
  return async (body: string, reason: string): Promise<void> => {
    let jobId: string;
    try {
      jobId = jobMessageSchema.parse(JSON.parse(body)).job_id;
    } catch {
      return;
    }
    const failed = await deps.jobs.transition(jobId, ['queued'], {
      status: 'failed',
      error: { code: 'start_failed', message: 'The job could not be started; send it again.' },
      updatedAt: (deps.now ?? (() => new Date()))().toISOString(),
    });
    if (failed) logger.error('job abandoned: it could not be started', { jobId, reason });
  };
}
