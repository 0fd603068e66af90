import { toUsageJson } from '@mangaassist/chat';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { eventSources, type JobEndedDetail } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type { JobRecord } from '../job.js';

/** A settled job's callback, queued for delivery (deployed: an SQS queue; retried for 24 h). */
export interface CallbackMessage {
  readonly job_id: string;
  readonly status: 'succeeded' | 'failed';
}

/** Where callbacks wait for delivery. */
export interface CallbackQueue {
  enqueue(message: CallbackMessage): Promise<void>;
}

/** The bus event of a settled job: small (the text stays at the jobs API). */
export function jobEndedDetail(job: JobRecord & { readonly status: 'succeeded' | 'failed' }): JobEndedDetail {
  return {
    job_id: job.jobId,
    tenant_id: job.tenantId,
    type: job.type,
    status: job.status,
    progress: { chunks_done: job.chunksDone, chunks_total: job.chunksTotal },
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(job.result
      ? {
          result: {
            model: job.result.model,
            usage: toUsageJson(job.result.usage),
            cost_usd: job.result.costUsd,
          },
        }
      : {}),
    ...(job.error ? { error: { code: job.error.code, message: job.error.message } } : {}),
    processing_stage: 'completed',
  };
}

/**
 * What happens when a job ends succeeded or failed: `JobCompleted` or `JobFailed` on the bus (an
 * SNS topic subscribes to both, deployed), and its callback queued when it has a `callback_url`.
 * Throws when either fails, so the step that settled the job is retried (at least once: a
 * receiver dedupes callbacks by `webhook-id`, consumers events by `job_id` and status).
 * A cancelled job notifies no one: its tenant asked for the end.
 */
export function makeJobNotifier(deps: {
  readonly events?: EventPublisher;
  readonly callbacks?: CallbackQueue;
  readonly logger?: Logger;
}) {
  const logger = deps.logger ?? silentLogger;
  return async (job: JobRecord): Promise<void> => {
    const { status } = job;
    if (status !== 'succeeded' && status !== 'failed') return;
    await deps.events?.publish([
      {
        source: eventSources.ai,
        detailType: status === 'succeeded' ? 'JobCompleted' : 'JobFailed',
        detail: { ...jobEndedDetail({ ...job, status }) },
      },
    ]);
    if (job.callbackUrl) {
      await deps.callbacks?.enqueue({ job_id: job.jobId, status });
      logger.info('job callback queued', { jobId: job.jobId, status });
    }
  };
}
