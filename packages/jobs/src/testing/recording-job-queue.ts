import type { JobPriority } from '@mangaassist/contracts';
import type { JobExecutions, JobQueue, JobSendOptions } from '../job-starter.js';

/** A `JobQueue` that records what was sent; `failSends` makes `send` throw. */
export class RecordingJobQueue implements JobQueue {
  readonly sent: { jobId: string; priority: JobPriority; delaySeconds?: number; queuedAt?: string }[] = [];
  failSends = false;

  async send(jobId: string, priority: JobPriority, options: JobSendOptions = {}): Promise<void> {
    if (this.failSends) throw new Error('queue unavailable');
    this.sent.push({
      jobId,
      priority,
      ...(options.delaySeconds !== undefined ? { delaySeconds: options.delaySeconds } : {}),
      ...(options.queuedAt !== undefined ? { queuedAt: options.queuedAt } : {}),
    });
  }
}

/** `JobExecutions` that record starts (execution ids `exec-<job id>`) and stops. */
export class RecordingJobExecutions implements JobExecutions {
  readonly started: string[] = [];
  readonly stopped: { executionId: string; cause: string }[] = [];

  async start(jobId: string): Promise<string> {
    this.started.push(jobId);
    return `exec-${jobId}`;
  }

  async stop(executionId: string, cause: string): Promise<void> {
    this.stopped.push({ executionId, cause });
  }
}
