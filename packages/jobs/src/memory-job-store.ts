import { expiresAtSeconds, hasExpired } from '@mangaassist/commons';
import { type JobStatus, jobIdSchema, jobLimits, terminalJobStatuses } from '@mangaassist/contracts';
import type { JobRecord } from './job.js';
import {
  IdempotencyKeyReusedError,
  type JobChange,
  type JobIdempotency,
  type JobStore,
  JobStoreUnavailableError,
} from './job-store.js';

export interface MemoryJobStoreOptions {
  /** The current time in epoch milliseconds (retention). @default Date.now */
  readonly now?: () => number;
  /**
   * Days a job and its idempotency key are kept after the job was stored.
   * @default jobLimits.retentionDays (30)
   */
  readonly retentionDays?: number;
  /**
   * Most jobs held at once. At the bound, expired jobs and then the oldest finished ones make
   * room; when every job held is unfinished, `create` throws `JobStoreUnavailableError`.
   * @default 10_000
   */
  readonly maxJobs?: number;
}

interface StoredJob {
  record: JobRecord;
  /** Epoch seconds, as DynamoDB's TTL counts. */
  readonly expiresAt: number;
  /** The slot of the idempotency key that created it, dropped with the job. */
  readonly keySlot?: string;
}

interface StoredKey {
  readonly jobId: string;
  readonly fingerprint: string;
  readonly expiresAt: number;
}

/**
 * The job-store port in one process's memory, with the semantics of `DynamoDbJobStore` (the
 * shared behaviour suite holds both to them): for unit tests and as the reference of what the
 * port means. Not shared between processes, lost on restart. Records are copied in and out, so a
 * caller mutating what it passed or got back changes nothing stored.
 *
 * - A job and its idempotency key are kept `retentionDays` after `create`, then read as gone (as
 *   DynamoDB's TTL would eventually delete them); an expired key may be used again.
 * - `transition` applies only the fields `change` gives; `undefined` when the job is missing,
 *   expired or in a status not in `from`.
 * - `addProgress` counts only on a running job and never past `chunksTotal` (a chunk counted
 *   twice, by a retried step, cannot show more done than there are); a job with `chunksTotal` 0
 *   is not chunked yet, so nothing is counted.
 *
 * Errors: `RangeError` for a job id that is not `job_` and 26 base-32 characters (so no record
 * can collide with the key namespace of `DynamoDbJobStore`), a `chunks` count that is not a
 * positive integer, or bad options; `Error` for a job id already taken;
 * `IdempotencyKeyReusedError` as the port says; `JobStoreUnavailableError` when `maxJobs`
 * unfinished jobs leave no room.
 */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly keys = new Map<string, StoredKey>();
  private readonly now: () => number;
  private readonly retentionSeconds: number;
  private readonly maxJobs: number;

  constructor(options: MemoryJobStoreOptions = {}) {
    const retentionDays = options.retentionDays ?? jobLimits.retentionDays;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new RangeError(`retentionDays must be a positive integer, got ${retentionDays}`);
    }
    this.maxJobs = options.maxJobs ?? 10_000;
    if (!Number.isInteger(this.maxJobs) || this.maxJobs < 1) {
      throw new RangeError(`maxJobs must be a positive integer, got ${this.maxJobs}`);
    }
    this.retentionSeconds = retentionDays * 86_400;
    this.now = options.now ?? Date.now;
  }

  async create(job: JobRecord, idempotency?: JobIdempotency): Promise<{ job: JobRecord; created: boolean }> {
    assertJobId(job.jobId);
    const now = this.now();
    const keySlot = idempotency ? slotOf(job.tenantId, idempotency.key) : undefined;
    const key = keySlot === undefined ? undefined : this.keys.get(keySlot);
    if (idempotency && key && !hasExpired(key.expiresAt, now)) {
      if (key.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError(key.jobId);
      const first = this.live(key.jobId, now);
      // A key is dropped with its job, so this only guards the invariant.
      if (first === undefined) throw new JobStoreUnavailableError(`The job of this Idempotency-Key is gone.`);
      return { job: structuredClone(first.record), created: false };
    }
    // Like DynamoDB's attribute_not_exists: an expired job not yet swept still holds its id.
    if (this.jobs.has(job.jobId)) throw new Error(`A job with id ${job.jobId} already exists.`);
    this.makeRoom(now);
    const expiresAt = expiresAtSeconds(now, this.retentionSeconds);
    this.jobs.set(job.jobId, { record: structuredClone(job), expiresAt, ...(keySlot ? { keySlot } : {}) });
    if (idempotency && keySlot) {
      this.keys.set(keySlot, { jobId: job.jobId, fingerprint: idempotency.fingerprint, expiresAt });
    }
    return { job: structuredClone(job), created: true };
  }

  async findIdempotent(tenantId: string, idempotency: JobIdempotency): Promise<JobRecord | undefined> {
    const now = this.now();
    const key = this.keys.get(slotOf(tenantId, idempotency.key));
    if (key === undefined || hasExpired(key.expiresAt, now)) return undefined;
    if (key.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError(key.jobId);
    const first = this.live(key.jobId, now);
    return first && structuredClone(first.record);
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const stored = this.live(jobId, this.now());
    return stored && structuredClone(stored.record);
  }

  async transition(
    jobId: string,
    from: readonly JobStatus[],
    change: JobChange,
  ): Promise<JobRecord | undefined> {
    const stored = this.live(jobId, this.now());
    if (stored === undefined || !from.includes(stored.record.status)) return undefined;
    stored.record = applyChange(stored.record, structuredClone(change));
    return structuredClone(stored.record);
  }

  async addProgress(jobId: string, chunks: number, updatedAt: string): Promise<void> {
    assertChunks(chunks);
    const stored = this.live(jobId, this.now());
    if (stored === undefined) return;
    const { record } = stored;
    if (record.status !== 'running' || record.chunksDone >= record.chunksTotal) return;
    stored.record = {
      ...record,
      chunksDone: Math.min(record.chunksTotal, record.chunksDone + chunks),
      updatedAt,
    };
  }

  async runningJobIds(tenantId: string): Promise<readonly string[]> {
    const now = this.now();
    return [...this.jobs.keys()].filter((jobId) => {
      const record = this.live(jobId, now)?.record;
      return record?.tenantId === tenantId && record.status === 'running';
    });
  }

  /** The ids of the jobs held and not expired, oldest first: for a test to find what a service stored. */
  ids(): string[] {
    const now = this.now();
    return [...this.jobs.keys()].filter((jobId) => this.live(jobId, now) !== undefined);
  }

  /** The job under `jobId` unless it is missing or past its retention. */
  private live(jobId: string, now: number): StoredJob | undefined {
    const stored = this.jobs.get(jobId);
    return stored === undefined || hasExpired(stored.expiresAt, now) ? undefined : stored;
  }

  /** Frees a place for one more job: expired jobs first, then the oldest finished ones. */
  private makeRoom(now: number): void {
    if (this.jobs.size < this.maxJobs) return;
    for (const [jobId, stored] of this.jobs) {
      if (hasExpired(stored.expiresAt, now)) this.drop(jobId, stored);
    }
    // A Map iterates in insertion order: the first finished jobs met are the oldest.
    for (const [jobId, stored] of this.jobs) {
      if (this.jobs.size < this.maxJobs) return;
      if (terminalJobStatuses.includes(stored.record.status)) this.drop(jobId, stored);
    }
    if (this.jobs.size >= this.maxJobs) {
      throw new JobStoreUnavailableError(`The job store holds ${this.maxJobs} unfinished jobs; retry later.`);
    }
  }

  private drop(jobId: string, stored: StoredJob): void {
    this.jobs.delete(jobId);
    // An expired key may have been taken over by a newer job since: that one keeps it.
    if (stored.keySlot !== undefined && this.keys.get(stored.keySlot)?.jobId === jobId) {
      this.keys.delete(stored.keySlot);
    }
  }
}

/** The job with `change` applied: only the fields it gives, and always `updatedAt`. */
function applyChange(job: JobRecord, change: JobChange): JobRecord {
  return {
    ...job,
    ...(change.status !== undefined ? { status: change.status } : {}),
    ...(change.chunksTotal !== undefined ? { chunksTotal: change.chunksTotal } : {}),
    ...(change.chunksDone !== undefined ? { chunksDone: change.chunksDone } : {}),
    ...(change.executionId !== undefined ? { executionId: change.executionId } : {}),
    ...(change.result !== undefined ? { result: change.result } : {}),
    ...(change.error !== undefined ? { error: change.error } : {}),
    updatedAt: change.updatedAt,
  };
}

/** One slot per tenant and key; JSON keeps `a` + `b:c` apart from `a:b` + `c`. */
function slotOf(tenantId: string, key: string): string {
  return JSON.stringify([tenantId, key]);
}

function assertJobId(jobId: string): void {
  if (!jobIdSchema.safeParse(jobId).success) {
    throw new RangeError(`A job id is job_ and 26 base-32 characters, got ${JSON.stringify(jobId)}`);
  }
}

function assertChunks(chunks: number): void {
  if (!Number.isInteger(chunks) || chunks < 1) {
    throw new RangeError(`chunks must be a positive integer, got ${chunks}`);
  }
}
