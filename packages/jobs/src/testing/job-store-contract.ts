// The behaviour every JobStore must show, written once and run against each implementation (in
// memory beside it, DynamoDB on the embedded DynamoDB in packages/local). For tests only: it
// imports vitest.
import { randomBytes, randomUUID } from 'node:crypto';
import { manualClock } from '@mangaassist/commons/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord, JobResult } from '../job.js';
import { IdempotencyKeyReusedError, type JobStore } from '../job-store.js';

/** What a suite passes to the factory: the store must read the time from `now` and keep jobs `retentionDays`. */
export interface JobStoreFactoryOptions {
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly retentionDays: number;
}

/** Builds the store under test; called once per test. */
export type JobStoreFactory = (options: JobStoreFactoryOptions) => JobStore | Promise<JobStore>;

const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A fresh, well-formed job id (`job_` and 26 base-32 characters). For tests. */
export function newJobId(): string {
  const characters = [...randomBytes(26)].map((byte) => base32[byte % 32] ?? 'a');
  return `job_${characters.join('')}`;
}

/** A queued job with a fresh id, the fields most tests do not care about filled in. For tests. */
export function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  const jobId = overrides.jobId ?? newJobId();
  return {
    jobId,
    tenantId: 'tenant-1',
    type: 'summarize',
    status: 'queued',
    priority: 'normal',
    model: 'auto',
    documentKey: `jobs/${jobId}/document.txt`,
    chunksDone: 0,
    chunksTotal: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A finished job's result, short enough to be whole (no `resultKey`). For tests. */
export function jobResult(overrides: Partial<JobResult> = {}): JobResult {
  return {
    text: '要約: 海賊王を目指す少年の物語。',
    model: 'claude-haiku-4-5',
    usage: { inputTokens: 1_200, outputTokens: 80, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    costUsd: 0.0016,
    ...overrides,
  };
}

const later = '2026-01-01T00:05:00.000Z';

/**
 * Registers the JobStore behaviour suite for one implementation. Each test uses a fresh tenant,
 * fresh job ids and fresh idempotency keys, so a store backed by a shared table needs no cleaning
 * between tests. It runs up to 50 concurrent writes to one job, which a store must take with its
 * default options.
 *
 * @example describeJobStore('MemoryJobStore', (options) => new MemoryJobStore(options));
 */
export function describeJobStore(name: string, makeStore: JobStoreFactory): void {
  describe(`${name} (JobStore behaviour)`, () => {
    const retentionDays = 30;
    let clock: ReturnType<typeof manualClock>;
    let store: JobStore;
    let tenantId: string;
    let key: string;

    const job = (overrides: Partial<JobRecord> = {}) => jobRecord({ tenantId, ...overrides });
    const idempotency = (fingerprint = 'fingerprint-1') => ({ key, fingerprint });

    /** A stored job already moved to running, with `chunksTotal` chunks to do. */
    async function runningJob(chunksTotal: number): Promise<JobRecord> {
      const { job: created } = await store.create(job());
      const running = await store.transition(created.jobId, ['queued'], {
        status: 'running',
        chunksTotal,
        updatedAt: later,
      });
      if (running === undefined) throw new Error('Expected the job to start running');
      return running;
    }

    beforeEach(async () => {
      clock = manualClock(Date.UTC(2026, 0, 1));
      store = await makeStore({ now: () => clock.now(), retentionDays });
      tenantId = `tenant-${randomUUID().slice(0, 8)}`;
      key = `key-${randomUUID()}`;
    });

    describe('create and get', () => {
      it('stores a new job and reads it back as it was created', async () => {
        const queued = job({ instructions: '三行で', language: 'ja', callbackUrl: 'https://example.com/cb' });
        expect(await store.create(queued)).toStrictEqual({ job: queued, created: true });
        expect(await store.get(queued.jobId)).toStrictEqual(queued);
      });

      it('reads a job with every optional field back unchanged', async () => {
        const full = job({
          status: 'succeeded',
          instructions: 'Summarise for a buyer',
          language: 'en-US',
          callbackUrl: 'https://example.com/cb',
          executionId: 'arn:aws:states:ap-northeast-1:123456789012:execution:jobs:run-1',
          chunksDone: 3,
          chunksTotal: 3,
          result: jobResult({ resultKey: 'jobs/job_x/result.txt' }),
          error: { code: 'model_failed', message: 'The model failed.' },
        });
        await store.create(full);
        expect(await store.get(full.jobId)).toStrictEqual(full);
      });

      it('answers undefined for a job that does not exist or an id that is not a job id', async () => {
        expect(await store.get(newJobId())).toBeUndefined();
        expect(await store.get('not-a-job')).toBeUndefined();
        expect(await store.get('')).toBeUndefined();
      });

      it('refuses a second job under an id already taken, keeping the first', async () => {
        const first = job();
        await store.create(first);
        await expect(store.create(job({ jobId: first.jobId, model: 'other' }))).rejects.toThrow(
          /already exists/,
        );
        expect(await store.get(first.jobId)).toStrictEqual(first);
      });

      it('refuses a job whose id is not a job id, storing nothing', async () => {
        await expect(store.create(job({ jobId: 'idempotency#x' }))).rejects.toBeInstanceOf(RangeError);
        expect(await store.get('idempotency#x')).toBeUndefined();
      });

      it('keeps a job for retentionDays after its creation, then reads it as gone', async () => {
        const queued = job();
        await store.create(queued);
        clock.advanceSeconds(retentionDays * 86_400 - 1);
        expect(await store.get(queued.jobId)).toStrictEqual(queued);
        clock.advanceSeconds(1);
        expect(await store.get(queued.jobId)).toBeUndefined();
      });

      it('keeps what it stored when the caller mutates the records it passed or got back', async () => {
        const queued = job({ result: jobResult() });
        const input = structuredClone(queued);
        const { job: created } = await store.create(input);
        Reflect.set(input, 'status', 'failed');
        Reflect.set(created, 'status', 'failed');
        const read = await store.get(queued.jobId);
        if (read?.result) Reflect.set(read.result, 'text', 'mutated');
        expect(await store.get(queued.jobId)).toStrictEqual(queued);
      });
    });

    describe('create with an Idempotency-Key', () => {
      it('creates the job on the first request under a key', async () => {
        const first = job();
        expect(await store.create(first, idempotency())).toStrictEqual({ job: first, created: true });
      });

      it('answers a repeat with the same fingerprint with the first job, storing no second one', async () => {
        const first = job();
        await store.create(first, idempotency());
        const repeat = job();
        expect(await store.create(repeat, idempotency())).toStrictEqual({ job: first, created: false });
        expect(await store.get(repeat.jobId)).toBeUndefined();
      });

      it('answers the first job as it is now, not as it was created', async () => {
        const first = job();
        await store.create(first, idempotency());
        const running = await store.transition(first.jobId, ['queued'], {
          status: 'running',
          updatedAt: later,
        });
        expect((await store.create(job(), idempotency())).job).toStrictEqual(running);
      });

      it('throws IdempotencyKeyReusedError naming the first job for the same key with another fingerprint', async () => {
        const first = job();
        await store.create(first, idempotency('fingerprint-1'));
        const other = job();
        const error = await store
          .create(other, idempotency('fingerprint-2'))
          .catch((reason: unknown) => reason);
        expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
        expect(error).toMatchObject({ jobId: first.jobId });
        expect(await store.get(other.jobId)).toBeUndefined();
      });

      it('keeps keys per tenant: the same key from another tenant creates an independent job', async () => {
        const mine = job();
        const theirs = jobRecord({ tenantId: `${tenantId}-other` });
        await store.create(mine, idempotency('fingerprint-1'));
        expect(await store.create(theirs, idempotency('fingerprint-2'))).toStrictEqual({
          job: theirs,
          created: true,
        });
        expect(await store.get(mine.jobId)).toStrictEqual(mine);
      });

      it('creates a new job under a key once retentionDays have passed since its first use', async () => {
        await store.create(job(), idempotency('fingerprint-1'));
        clock.advanceSeconds(retentionDays * 86_400);
        const next = job();
        expect(await store.create(next, idempotency('fingerprint-2'))).toStrictEqual({
          job: next,
          created: true,
        });
        expect(await store.create(job(), idempotency('fingerprint-2'))).toStrictEqual({
          job: next,
          created: false,
        });
      });

      it('finds the job a key created, as it is now, for the same fingerprint only', async () => {
        expect(await store.findIdempotent(tenantId, idempotency())).toBeUndefined();
        const first = job();
        await store.create(first, idempotency());
        const running = await store.transition(first.jobId, ['queued'], {
          status: 'running',
          updatedAt: later,
        });
        expect(await store.findIdempotent(tenantId, idempotency())).toStrictEqual(running);
        const error = await store
          .findIdempotent(tenantId, idempotency('fingerprint-2'))
          .catch((reason: unknown) => reason);
        expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
        expect(error).toMatchObject({ jobId: first.jobId });
        expect(await store.findIdempotent(`${tenantId}-other`, idempotency())).toBeUndefined();
        clock.advanceSeconds(retentionDays * 86_400);
        expect(await store.findIdempotent(tenantId, idempotency())).toBeUndefined();
      });

      it('creates exactly one job for 20 concurrent requests under one key, and answers all with it', async () => {
        const attempts = Array.from({ length: 20 }, () => job());
        const results = await Promise.all(attempts.map((attempt) => store.create(attempt, idempotency())));
        const created = results.filter((result) => result.created);
        expect(created).toHaveLength(1);
        const winner = created[0]?.job.jobId;
        expect(new Set(results.map((result) => result.job.jobId))).toStrictEqual(new Set([winner]));
        const stored = await Promise.all(attempts.map((attempt) => store.get(attempt.jobId)));
        expect(stored.filter((read) => read !== undefined)).toHaveLength(1);
      });
    });

    describe('transition', () => {
      it('applies a change when the job is in one of the given statuses, and returns the changed job', async () => {
        const queued = job();
        await store.create(queued);
        const change = {
          status: 'running',
          executionId: 'exec-1',
          chunksTotal: 4,
          updatedAt: later,
        } as const;
        const expected = { ...queued, ...change };
        expect(await store.transition(queued.jobId, ['queued', 'running'], change)).toStrictEqual(expected);
        expect(await store.get(queued.jobId)).toStrictEqual(expected);
      });

      it('changes only the fields given, keeping the status when none is given', async () => {
        const running = await runningJob(3);
        const withExecution = await store.transition(running.jobId, ['running'], {
          executionId: 'exec-1',
          updatedAt: later,
        });
        const changed = await store.transition(running.jobId, ['running'], {
          chunksTotal: 5,
          updatedAt: '2026-01-01T00:06:00.000Z',
        });
        expect(changed).toStrictEqual({
          ...withExecution,
          chunksTotal: 5,
          updatedAt: '2026-01-01T00:06:00.000Z',
        });
        expect(changed?.status).toBe('running');
        expect(changed?.executionId).toBe('exec-1');
      });

      it('records a result and an error as given', async () => {
        const running = await runningJob(2);
        const succeeded = await store.transition(running.jobId, ['running'], {
          status: 'succeeded',
          chunksDone: 2,
          result: jobResult(),
          updatedAt: later,
        });
        expect(succeeded?.result).toStrictEqual(jobResult());
        const other = await runningJob(2);
        const failed = await store.transition(other.jobId, ['queued', 'running'], {
          status: 'failed',
          error: { code: 'document_unreadable', message: 'The document is not valid UTF-8 text.' },
          updatedAt: later,
        });
        expect(await store.get(other.jobId)).toStrictEqual(failed);
        expect(failed?.error).toStrictEqual({
          code: 'document_unreadable',
          message: 'The document is not valid UTF-8 text.',
        });
      });

      it('answers undefined and changes nothing when the job is in another status', async () => {
        const queued = job();
        await store.create(queued);
        expect(
          await store.transition(queued.jobId, ['running'], { status: 'succeeded', updatedAt: later }),
        ).toBe(undefined);
        expect(await store.get(queued.jobId)).toStrictEqual(queued);
      });

      it('answers undefined for an empty list of statuses', async () => {
        const queued = job();
        await store.create(queued);
        expect(
          await store.transition(queued.jobId, [], { status: 'running', updatedAt: later }),
        ).toBeUndefined();
        expect(await store.get(queued.jobId)).toStrictEqual(queued);
      });

      it('answers undefined for a job that does not exist, creating none', async () => {
        const missing = newJobId();
        expect(
          await store.transition(missing, ['queued'], { status: 'running', updatedAt: later }),
        ).toBeUndefined();
        expect(await store.get(missing)).toBeUndefined();
      });

      it('never moves a cancelled job to running or succeeded', async () => {
        const queued = job();
        await store.create(queued);
        const cancelled = await store.transition(queued.jobId, ['queued', 'running'], {
          status: 'cancelled',
          updatedAt: later,
        });
        expect(cancelled?.status).toBe('cancelled');
        expect(
          await store.transition(queued.jobId, ['queued', 'running'], {
            status: 'running',
            updatedAt: later,
          }),
        ).toBeUndefined();
        expect(
          await store.transition(queued.jobId, ['running'], {
            status: 'succeeded',
            result: jobResult(),
            updatedAt: later,
          }),
        ).toBeUndefined();
        expect(await store.get(queued.jobId)).toStrictEqual(cancelled);
      });

      it('lets exactly one of 10 concurrent transitions from queued win', async () => {
        const queued = job();
        await store.create(queued);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            store.transition(queued.jobId, ['queued'], {
              status: 'running',
              executionId: `exec-${index}`,
              updatedAt: later,
            }),
          ),
        );
        const winners = results.filter((result) => result !== undefined);
        expect(winners).toHaveLength(1);
        expect(await store.get(queued.jobId)).toStrictEqual(winners[0]);
      });

      it('answers undefined for a job past its retention', async () => {
        const queued = job();
        await store.create(queued);
        clock.advanceSeconds(retentionDays * 86_400);
        expect(
          await store.transition(queued.jobId, ['queued'], { status: 'running', updatedAt: later }),
        ).toBe(undefined);
      });
    });

    describe('addProgress', () => {
      it('counts chunks done on a running job and sets updatedAt', async () => {
        const running = await runningJob(10);
        await store.addProgress(running.jobId, 1, '2026-01-01T00:06:00.000Z');
        await store.addProgress(running.jobId, 3, '2026-01-01T00:07:00.000Z');
        expect(await store.get(running.jobId)).toStrictEqual({
          ...running,
          chunksDone: 4,
          updatedAt: '2026-01-01T00:07:00.000Z',
        });
      });

      it('counts nothing on a job that is not running', async () => {
        const queued = job({ chunksTotal: 5 });
        await store.create(queued);
        await store.addProgress(queued.jobId, 1, later);
        expect(await store.get(queued.jobId)).toStrictEqual(queued);
        const cancelled = await store.transition(queued.jobId, ['queued'], {
          status: 'cancelled',
          updatedAt: later,
        });
        await store.addProgress(queued.jobId, 1, '2026-01-01T00:09:00.000Z');
        expect(await store.get(queued.jobId)).toStrictEqual(cancelled);
      });

      it('does nothing, without error, for a job that does not exist', async () => {
        const missing = newJobId();
        await expect(store.addProgress(missing, 1, later)).resolves.toBeUndefined();
        expect(await store.get(missing)).toBeUndefined();
      });

      it('never counts past chunksTotal', async () => {
        const running = await runningJob(3);
        await store.addProgress(running.jobId, 2, later);
        await store.addProgress(running.jobId, 2, later);
        await store.addProgress(running.jobId, 1, later);
        expect((await store.get(running.jobId))?.chunksDone).toBe(3);
      });

      it('counts nothing on a running job not yet chunked (chunksTotal 0)', async () => {
        const running = await runningJob(0);
        await store.addProgress(running.jobId, 1, '2026-01-01T00:09:00.000Z');
        expect(await store.get(running.jobId)).toStrictEqual(running);
      });

      it('rejects a count that is not a positive integer', async () => {
        const running = await runningJob(3);
        await expect(store.addProgress(running.jobId, 0, later)).rejects.toBeInstanceOf(RangeError);
        await expect(store.addProgress(running.jobId, 1.5, later)).rejects.toBeInstanceOf(RangeError);
        expect((await store.get(running.jobId))?.chunksDone).toBe(0);
      });

      it('counts every one of 50 concurrent chunks', async () => {
        const running = await runningJob(50);
        await Promise.all(Array.from({ length: 50 }, () => store.addProgress(running.jobId, 1, later)));
        expect((await store.get(running.jobId))?.chunksDone).toBe(50);
      });

      it('stops at chunksTotal under concurrency too', async () => {
        const running = await runningJob(30);
        await Promise.all(
          Array.from({ length: 40 }, (_, index) => store.addProgress(running.jobId, 1 + (index % 2), later)),
        );
        expect((await store.get(running.jobId))?.chunksDone).toBe(30);
      });
    });

    describe('runningJobIds', () => {
      it('counts the tenant’s running jobs only: not queued or ended ones, not another tenant’s', async () => {
        const first = await runningJob(3);
        const second = await runningJob(3);
        await store.create(job());
        const ended = await runningJob(3);
        await store.transition(ended.jobId, ['running'], { status: 'succeeded', updatedAt: later });
        await store.create(jobRecord({ tenantId: `${tenantId}-other`, status: 'running' }));
        expect([...(await store.runningJobIds(tenantId))].sort()).toEqual([first.jobId, second.jobId].sort());
        expect(await store.runningJobIds(`${tenantId}-none`)).toEqual([]);
      });

      it('no longer counts a running job past its retention', async () => {
        await runningJob(3);
        clock.advanceSeconds((retentionDays + 1) * 86_400);
        expect(await store.runningJobIds(tenantId)).toEqual([]);
      });
    });
  });
}
