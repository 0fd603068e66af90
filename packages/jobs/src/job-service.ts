import { createHash, randomBytes } from 'node:crypto';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { type CreateJobRequest, jobLimits, type UploadResponse } from '@mangaassist/contracts';
import { type DocumentStore, documentKeys } from './document-store.js';
import type { JobRecord } from './job.js';
import type { JobExecutions, JobQueue } from './job-starter.js';
import type { JobStore } from './job-store.js';

/** The job's document does not exist (an upload id that was never used, or has expired). */
export class UploadNotFoundError extends Error {
  override readonly name = 'UploadNotFoundError';
}

/** The document is larger than a job takes. */
export class DocumentTooLargeError extends Error {
  override readonly name = 'DocumentTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`The document is ${bytes} bytes; the limit is ${limit}.`);
  }
}

/** The job could not be handed to its queue; it has been marked failed (503: retry). */
export class JobQueueUnavailableError extends Error {
  override readonly name = 'JobQueueUnavailableError';
}

export interface JobServiceDependencies {
  readonly jobs: JobStore;
  readonly documents: DocumentStore;
  /** Where new jobs wait for their start. */
  readonly queue: JobQueue;
  /** To stop a cancelled job's execution. */
  readonly executions: Pick<JobExecutions, 'stop'>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default crypto.randomBytes */
  readonly random?: (bytes: number) => Uint8Array;
  /** @default silentLogger */
  readonly logger?: Logger;
}

const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `prefix` and 26 base-32 characters of 130 random bits. */
function newId(prefix: string, random: (bytes: number) => Uint8Array): string {
  const bytes = random(17);
  let bits = 0;
  let value = 0;
  let id = prefix;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && id.length < prefix.length + 26) {
      id += base32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return id;
}

/** JSON with object keys sorted, so that the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Asynchronous jobs as the API sees them: uploads, creating (idempotently), reading and
 * cancelling jobs, each tenant seeing only its own. The work itself is the job workflow's.
 */
export class JobService {
  private readonly now: () => Date;
  private readonly random: (bytes: number) => Uint8Array;
  private readonly logger: Logger;

  constructor(private readonly deps: JobServiceDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? randomBytes;
    this.logger = deps.logger ?? silentLogger;
  }

  /** A presigned PUT for one document of up to `jobLimits.maxDocumentBytes`. */
  async createUpload(tenantId: string): Promise<UploadResponse> {
    const uploadId = newId('upl_', this.random);
    const upload = await this.deps.documents.presignUpload(documentKeys.upload(tenantId, uploadId), {
      expiresInSeconds: jobLimits.uploadUrlSeconds,
    });
    return {
      upload_id: uploadId,
      url: upload.url,
      method: 'PUT',
      expires_in: upload.expiresInSeconds,
      max_bytes: jobLimits.maxDocumentBytes,
    };
  }

  /**
   * Queues a job, then stores it; with an `Idempotency-Key`, a repeat of the same request returns
   * the first job (`created: false`, not queued again; the message of a repeat that raced it finds
   * no job and is skipped). Throws `UploadNotFoundError`, `DocumentTooLargeError`,
   * `IdempotencyKeyReusedError` (same key, other request), `JobQueueUnavailableError` (nothing is
   * stored: send it again) and the stores' unavailable errors (its message then finds no job).
   */
  async createJob(
    tenantId: string,
    request: CreateJobRequest,
    idempotencyKey?: string,
  ): Promise<{ job: JobRecord; created: boolean }> {
    const idempotency = idempotencyKey
      ? {
          key: idempotencyKey,
          fingerprint: createHash('sha256').update(canonicalJson(request)).digest('hex'),
        }
      : undefined;
    // A repeat under its key is answered before anything is stored: no second copy of its document.
    const repeated = idempotency ? await this.deps.jobs.findIdempotent(tenantId, idempotency) : undefined;
    if (repeated) return { job: repeated, created: false };
    const jobId = newId('job_', this.random);
    const documentKey = await this.storeDocument(tenantId, jobId, request);
    const at = this.now().toISOString();
    const job: JobRecord = {
      jobId,
      tenantId,
      type: request.type,
      status: 'queued',
      priority: request.priority,
      model: request.model,
      ...(request.instructions ? { instructions: request.instructions } : {}),
      ...(request.language ? { language: request.language } : {}),
      ...(request.callback_url ? { callbackUrl: request.callback_url } : {}),
      documentKey,
      chunksDone: 0,
      chunksTotal: 0,
      createdAt: at,
      updatedAt: at,
    };
    // Queued before it is stored: a job anyone is told of always has its start message, and a
    // 503 leaves no job behind. The starter waits a moment for a record that trails its message.
    await this.enqueue(job);
    const stored = await this.deps.jobs.create(job, idempotency);
    return { job: stored.job, created: stored.created };
  }

  /** Hands the job to its queue; throws `JobQueueUnavailableError` (503) when the queue refuses. */
  private async enqueue(job: JobRecord): Promise<void> {
    try {
      await this.deps.queue.send(job.jobId, job.priority, { queuedAt: job.createdAt });
    } catch (error) {
      this.logger.error('job queue unavailable', { jobId: job.jobId, error: String(error) });
      throw new JobQueueUnavailableError('The job queue is unavailable; retry shortly.', { cause: error });
    }
  }

  /** The tenant's job (and a URL for its whole result when the job holds only its start). */
  async getJob(tenantId: string, jobId: string): Promise<{ job: JobRecord; resultUrl?: string } | undefined> {
    const job = await this.deps.jobs.get(jobId);
    if (!job || job.tenantId !== tenantId) return undefined;
    const resultKey = job.result?.resultKey;
    if (!resultKey) return { job };
    const resultUrl = await this.deps.documents.presignDownload(resultKey, {
      expiresInSeconds: jobLimits.uploadUrlSeconds,
    });
    return { job, resultUrl };
  }

  /**
   * Cancels the tenant's job and stops its execution: `cancelled` (also when it already was),
   * `finished` when it had succeeded or failed, `not_found` for no such job of this tenant.
   */
  async cancelJob(tenantId: string, jobId: string): Promise<'cancelled' | 'finished' | 'not_found'> {
    const job = await this.deps.jobs.get(jobId);
    if (!job || job.tenantId !== tenantId) return 'not_found';
    if (job.status === 'cancelled') return 'cancelled';
    const cancelled = await this.deps.jobs.transition(jobId, ['queued', 'running'], {
      status: 'cancelled',
      updatedAt: this.now().toISOString(),
    });
    if (!cancelled) {
      // It ended (or was cancelled) between the read and the write.
      const now = await this.deps.jobs.get(jobId);
      return now?.status === 'cancelled' ? 'cancelled' : 'finished';
    }
    if (cancelled.executionId) {
      await this.deps.executions
        .stop(cancelled.executionId, 'cancelled by its tenant')
        .catch((error: unknown) => {
          // The job is cancelled: every step checks that before it calls a model, so it stops anyway.
          this.logger.warn('stopping a cancelled job’s execution failed', { jobId, error: String(error) });
        });
    }
    return 'cancelled';
  }

  /** Where the job's document is: an upload (checked), or the inline text, stored now. */
  private async storeDocument(tenantId: string, jobId: string, request: CreateJobRequest): Promise<string> {
    const { document } = request;
    if ('upload_id' in document) {
      const key = documentKeys.upload(tenantId, document.upload_id);
      const size = await this.deps.documents.size(key);
      if (size === undefined) {
        throw new UploadNotFoundError(
          `Upload ${document.upload_id} has no document: PUT it to the upload's URL first.`,
        );
      }
      if (size > jobLimits.maxDocumentBytes)
        throw new DocumentTooLargeError(size, jobLimits.maxDocumentBytes);
      return key;
    }
    const bytes = Buffer.byteLength(document.text, 'utf8');
    if (bytes > jobLimits.maxInlineTextBytes) {
      throw new DocumentTooLargeError(bytes, jobLimits.maxInlineTextBytes);
    }
    const key = documentKeys.jobDocument(jobId);
    await this.deps.documents.put(key, document.text);
    return key;
  }
}
