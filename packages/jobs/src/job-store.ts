import type { JobStatus } from '@mangaassist/contracts';
import type { JobFailure, JobRecord, JobResult } from './job.js';

/** A tenant's `Idempotency-Key` and what it was sent with. */
export interface JobIdempotency {
  /** The header's value, as sent. */
  readonly key: string;
  /** A hash of the request it came with: the same key with another request is a conflict. */
  readonly fingerprint: string;
}

/** What a transition changes besides the status and `updatedAt`. */
export interface JobChange {
  readonly status?: JobStatus;
  readonly chunksTotal?: number;
  readonly chunksDone?: number;
  readonly executionId?: string;
  readonly result?: JobResult;
  readonly error?: JobFailure;
  /** ISO 8601. */
  readonly updatedAt: string;
}

/** The job store refused or could not do a write (503: the caller may retry). */
export class JobStoreUnavailableError extends Error {
  override readonly name = 'JobStoreUnavailableError';
}

/** An `Idempotency-Key` came back with another request than its first (409). */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly jobId: string) {
    super('This Idempotency-Key was used with a different request.');
  }
}

/**
 * Where jobs live (deployed: DynamoDB, `jobsTable`). Every write is conditional, so concurrent
 * steps, a cancel and a retried message can never move a job backwards or out of a final status.
 */
export interface JobStore {
  /**
   * Stores a new job. With `idempotency`, the first request under a tenant's key creates the job
   * and every later one with the same fingerprint gets that job back (`created: false`); another
   * fingerprint throws `IdempotencyKeyReusedError`. Keys are per tenant.
   */
  create(job: JobRecord, idempotency?: JobIdempotency): Promise<{ job: JobRecord; created: boolean }>;
  /**
   * The job the tenant's unexpired key created, as it is now, when `idempotency`'s fingerprint is
   * the first request's; `undefined` when the key is free (or its job is gone). Throws
   * `IdempotencyKeyReusedError` for another fingerprint. A read, for a caller that would do work
   * before `create` (which still decides a race between two first requests).
   */
  findIdempotent(tenantId: string, idempotency: JobIdempotency): Promise<JobRecord | undefined>;
  get(jobId: string): Promise<JobRecord | undefined>;
  /**
   * Applies `change` if the job's status is one of `from`: the changed job, or `undefined` when
   * the job does not exist or is in another status (someone else moved it first).
   */
  transition(jobId: string, from: readonly JobStatus[], change: JobChange): Promise<JobRecord | undefined>;
  /** Counts `chunks` more chunks done on a running job (atomic: concurrent chunks all count). */
  addProgress(jobId: string, chunks: number, updatedAt: string): Promise<void>;
  /**
   * The ids of the tenant's running jobs: what the per-tenant cap counts. Deployed it reads an
   * index, which trails the table by a moment: a job marked running a moment ago may be missing.
   */
  runningJobIds(tenantId: string): Promise<readonly string[]>;
}
