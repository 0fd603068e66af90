import { jobLimits } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { JobStoreUnavailableError } from './job-store.js';
import { MemoryJobStore } from './memory-job-store.js';
import { describeJobStore, jobRecord } from './testing/job-store-contract.js';

describeJobStore('MemoryJobStore', (options) => new MemoryJobStore(options));

const epoch = Date.UTC(2026, 0, 1);
const later = '2026-01-01T00:05:00.000Z';

describe('MemoryJobStore', () => {
  it('keeps jobs for jobLimits.retentionDays by default', async () => {
    let now = epoch;
    const store = new MemoryJobStore({ now: () => now });
    const queued = jobRecord();
    await store.create(queued);
    now += jobLimits.retentionDays * 86_400_000 - 1_000;
    expect(await store.get(queued.jobId)).toStrictEqual(queued);
    now += 1_000;
    expect(await store.get(queued.jobId)).toBeUndefined();
  });

  it('makes room at maxJobs by dropping the oldest finished job, with its idempotency key', async () => {
    const store = new MemoryJobStore({ now: () => epoch, maxJobs: 2 });
    const first = jobRecord();
    const second = jobRecord();
    await store.create(first, { key: 'k-1', fingerprint: 'f' });
    await store.create(second);
    await store.transition(first.jobId, ['queued'], { status: 'cancelled', updatedAt: later });
    await store.create(jobRecord());
    expect(await store.get(first.jobId)).toBeUndefined();
    expect(await store.get(second.jobId)).toStrictEqual(second);
    await store.transition(second.jobId, ['queued'], { status: 'cancelled', updatedAt: later });
    const reused = jobRecord();
    expect(await store.create(reused, { key: 'k-1', fingerprint: 'other' })).toStrictEqual({
      job: reused,
      created: true,
    });
  });

  it('refuses a new job with JobStoreUnavailableError when maxJobs unfinished jobs fill it', async () => {
    const store = new MemoryJobStore({ now: () => epoch, maxJobs: 2 });
    await store.create(jobRecord());
    await store.create(jobRecord());
    const refused = jobRecord();
    await expect(store.create(refused)).rejects.toBeInstanceOf(JobStoreUnavailableError);
    expect(await store.get(refused.jobId)).toBeUndefined();
  });

  it('drops expired jobs before finished ones when it needs room', async () => {
    let now = epoch;
    const store = new MemoryJobStore({ now: () => now, maxJobs: 2, retentionDays: 1 });
    const expired = jobRecord();
    await store.create(expired);
    now += 43_200_000;
    const finished = jobRecord({ status: 'succeeded' });
    await store.create(finished);
    now += 43_200_000;
    await store.create(jobRecord());
    expect(await store.get(finished.jobId)).toStrictEqual(finished);
  });

  it('keeps a key taken over after expiry when the job that first held it is dropped', async () => {
    let now = epoch;
    const store = new MemoryJobStore({ now: () => now, maxJobs: 2, retentionDays: 1 });
    await store.create(jobRecord(), { key: 'k-1', fingerprint: 'f-1' });
    now += 86_400_000;
    const next = jobRecord();
    await store.create(next, { key: 'k-1', fingerprint: 'f-2' });
    await store.create(jobRecord());
    expect(await store.create(jobRecord(), { key: 'k-1', fingerprint: 'f-2' })).toStrictEqual({
      job: next,
      created: false,
    });
  });

  it('lists the ids of the jobs it holds, oldest first, leaving out expired ones', async () => {
    let now = epoch;
    const store = new MemoryJobStore({ now: () => now, retentionDays: 1 });
    const expired = jobRecord();
    await store.create(expired);
    now += 43_200_000;
    const first = jobRecord();
    const second = jobRecord();
    await store.create(first);
    await store.create(second);
    expect(store.ids()).toStrictEqual([expired.jobId, first.jobId, second.jobId]);
    now += 43_200_000;
    expect(store.ids()).toStrictEqual([first.jobId, second.jobId]);
  });

  it('rejects options that are not positive integers', () => {
    expect(() => new MemoryJobStore({ retentionDays: 0 })).toThrow(RangeError);
    expect(() => new MemoryJobStore({ retentionDays: 1.5 })).toThrow(RangeError);
    expect(() => new MemoryJobStore({ maxJobs: 0 })).toThrow(RangeError);
  });
});
