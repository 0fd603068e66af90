import { toUsageJson } from '@mangaassist/chat';
import type { JobDocument, JobPriority, JobStatus, JobType } from '@mangaassist/contracts';
import type { TokenUsage } from '@mangaassist/fm-gateway';

/** What a finished job produced: the answer (or its start, with the whole in the document store). */
export interface JobResult {
  readonly text: string;
  /** The catalog key of the model that wrote the final answer. */
  readonly model: string;
  readonly usage: TokenUsage;
  readonly costUsd: number;
  /** Where the whole answer is when `text` is only its start (documents-store key). */
  readonly resultKey?: string;
}

export interface JobFailure {
  /** `document_unreadable`, `model_failed`, `budget_exhausted`, … */
  readonly code: string;
  readonly message: string;
}

/** One asynchronous job as the job store keeps it. */
export interface JobRecord {
  /** `job_` and 26 base-32 characters. */
  readonly jobId: string;
  readonly tenantId: string;
  readonly type: JobType;
  readonly status: JobStatus;
  readonly priority: JobPriority;
  /** `auto`, an alias or a catalog key, as requested. */
  readonly model: string;
  readonly instructions?: string;
  readonly language?: string;
  readonly callbackUrl?: string;
  /** The document's key in the document store (claim check: no state carries the text). */
  readonly documentKey: string;
  readonly chunksDone: number;
  /** 0 until the document has been chunked. */
  readonly chunksTotal: number;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The running execution (a state machine execution ARN, or the local runner's id). */
  readonly executionId?: string;
  readonly result?: JobResult;
  readonly error?: JobFailure;
}

/** The public view of a job: `GET /v1/jobs/{id}`, callbacks and events. `resultUrl` when the text is cut. */
export function toJobDocument(job: JobRecord, resultUrl?: string): JobDocument {
  const { result, error } = job;
  return {
    job_id: job.jobId,
    type: job.type,
    status: job.status,
    progress: { chunks_done: job.chunksDone, chunks_total: job.chunksTotal },
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(result
      ? {
          result: {
            text: result.text,
            model: result.model,
            usage: toUsageJson(result.usage),
            cost_usd: result.costUsd,
            ...(resultUrl ? { result_url: resultUrl } : {}),
          },
        }
      : {}),
    // Only a failed job reports its error.
    ...(error && job.status === 'failed' ? { error: { code: error.code, message: error.message } } : {}),
  };
}
