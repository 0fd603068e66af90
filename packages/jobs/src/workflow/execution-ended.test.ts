import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAnnotations, withTraceAnnotations } from '@mangaassist/commons/tracing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../job.js';
import { MemoryJobStore } from '../memory-job-store.js';
import { jobRecord } from '../testing/job-store-contract.js';
import { makeExecutionEndedHandler } from './execution-ended.js';

describe('the execution-ended safety net', () => {
  let jobs: MemoryJobStore;
  let settled: JobRecord[];
  let handle: ReturnType<typeof makeExecutionEndedHandler>;

  beforeEach(() => {
    jobs = new MemoryJobStore();
    settled = [];
    handle = makeExecutionEndedHandler({
      jobs,
      onSettled: async (job) => {
        settled.push(job);
      },
    });
  });

  it('fails a job still running when its execution timed out, and says so', async () => {
    const job = jobRecord({ status: 'running' });
    await jobs.create(job);
    await handle({ jobId: job.jobId, status: 'TIMED_OUT' });
    expect(await jobs.get(job.jobId)).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    expect(settled.map((each) => each.jobId)).toEqual([job.jobId]);
  });

  it("notifies under the job's tenant in the trace, once it has failed the job", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const job = jobRecord({ status: 'running', tenantId: 'tenant-a' });
    await jobs.create(job);
    const inScope: unknown[] = [];
    const traced = makeExecutionEndedHandler({
      jobs,
      onSettled: async () => {
        inScope.push(traceAnnotations());
      },
    });
    await withTraceAnnotations({ job_id: job.jobId }, () =>
      traced({ jobId: job.jobId, status: 'TIMED_OUT' }),
    );
    expect(inScope).toEqual([{ job_id: job.jobId, tenant: 'tenant-a' }]);
  });

  it('fails a job whose execution failed where no Catch reached, with no internals', async () => {
    const job = jobRecord({ status: 'running' });
    await jobs.create(job);
    await handle({ jobId: job.jobId, status: 'FAILED', error: 'States.Runtime', cause: 'Path $.x' });
    expect((await jobs.get(job.jobId))?.error).toEqual({
      code: 'internal_error',
      message: 'The job failed; the operators have its details.',
    });
  });

  it('fails a queued job whose execution was stopped from outside', async () => {
    const job = jobRecord({ status: 'queued' });
    await jobs.create(job);
    await handle({ jobId: job.jobId, status: 'ABORTED' });
    expect((await jobs.get(job.jobId))?.error?.code).toBe('execution_stopped');
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)(
    'leaves a %s job as the workflow left it',
    async (status) => {
      const job = jobRecord({ status });
      await jobs.create(job);
      expect(await handle({ jobId: job.jobId, status: 'ABORTED' })).toBeUndefined();
      expect((await jobs.get(job.jobId))?.status).toBe(status);
      expect(settled).toEqual([]);
    },
  );
});
