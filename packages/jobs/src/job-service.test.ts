import type { CreateJobRequest } from '@mangaassist/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { documentKeys } from './document-store.js';
import {
  DocumentTooLargeError,
  JobQueueUnavailableError,
  JobService,
  UploadNotFoundError,
} from './job-service.js';
import { IdempotencyKeyReusedError } from './job-store.js';
import { MemoryJobStore } from './memory-job-store.js';
import { MemoryDocumentStore } from './testing/memory-document-store.js';
import { RecordingJobExecutions, RecordingJobQueue } from './testing/recording-job-queue.js';

function request(overrides: Partial<CreateJobRequest> = {}): CreateJobRequest {
  return {
    type: 'summarize',
    document: { text: '鬼滅の刃の第一巻。' },
    model: 'auto',
    priority: 'normal',
    ...overrides,
  };
}

describe('JobService', () => {
  let jobs: MemoryJobStore;
  let documents: MemoryDocumentStore;
  let queue: RecordingJobQueue;
  let executions: RecordingJobExecutions;
  let service: JobService;

  beforeEach(() => {
    jobs = new MemoryJobStore();
    documents = new MemoryDocumentStore();
    queue = new RecordingJobQueue();
    executions = new RecordingJobExecutions();
    service = new JobService({
      jobs,
      documents,
      queue,
      executions,
      now: () => new Date('2026-12-07T01:02:03Z'),
    });
  });

  it('hands out an upload URL under the tenant’s own key', async () => {
    const upload = await service.createUpload('store');
    expect(upload).toMatchObject({ method: 'PUT', expires_in: 900, max_bytes: 20 * 1024 * 1024 });
    expect(upload.upload_id).toMatch(/^upl_[a-z2-7]{26}$/);
    expect(upload.url).toBe(`memory://put/uploads/store/${upload.upload_id}`);
  });

  it('stores an inline document, creates the job queued and starts it', async () => {
    const { job, created } = await service.createJob('store', request({ instructions: '登場人物' }));
    expect(created).toBe(true);
    expect(job).toMatchObject({
      tenantId: 'store',
      status: 'queued',
      instructions: '登場人物',
      createdAt: '2026-12-07T01:02:03.000Z',
    });
    expect(job.jobId).toMatch(/^job_[a-z2-7]{26}$/);
    expect(documents.text(job.documentKey)).toBe('鬼滅の刃の第一巻。');
    expect(queue.sent).toEqual([
      { jobId: job.jobId, priority: 'normal', queuedAt: '2026-12-07T01:02:03.000Z' },
    ]);
  });

  it('makes a different id for every job', async () => {
    const ids = new Set<string>();
    for (let count = 0; count < 50; count += 1)
      ids.add((await service.createJob('store', request())).job.jobId);
    expect(ids.size).toBe(50);
  });

  it('uses an uploaded document where it is, and refuses one that never arrived', async () => {
    const upload = await service.createUpload('store');
    await expect(
      service.createJob('store', request({ document: { upload_id: upload.upload_id } })),
    ).rejects.toBeInstanceOf(UploadNotFoundError);
    await documents.put(documentKeys.upload('store', upload.upload_id), '本文');
    const { job } = await service.createJob('store', request({ document: { upload_id: upload.upload_id } }));
    expect(job.documentKey).toBe(documentKeys.upload('store', upload.upload_id));
  });

  it('never lets a tenant use another tenant’s upload', async () => {
    const upload = await service.createUpload('store');
    await documents.put(documentKeys.upload('store', upload.upload_id), '本文');
    await expect(
      service.createJob('mobile', request({ document: { upload_id: upload.upload_id } })),
    ).rejects.toBeInstanceOf(UploadNotFoundError);
  });

  it('refuses an upload larger than a job takes', async () => {
    const upload = await service.createUpload('store');
    await documents.put(documentKeys.upload('store', upload.upload_id), new Uint8Array(20 * 1024 * 1024 + 1));
    await expect(
      service.createJob('store', request({ document: { upload_id: upload.upload_id } })),
    ).rejects.toBeInstanceOf(DocumentTooLargeError);
  });

  it('returns the first job for a repeated Idempotency-Key, starting it once', async () => {
    const first = await service.createJob('store', request(), 'key-1');
    const again = await service.createJob('store', request(), 'key-1');
    expect(again).toMatchObject({ created: false, job: { jobId: first.job.jobId } });
    expect(queue.sent).toHaveLength(1);
  });

  it('stores the inline document of a repeated Idempotency-Key once, and none for a refused one', async () => {
    await service.createJob('store', request(), 'key-1');
    await service.createJob('store', request(), 'key-1');
    await expect(service.createJob('store', request({ type: 'analyze' }), 'key-1')).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
    expect([...documents.objects.keys()].filter((key) => key.endsWith('/document.txt'))).toHaveLength(1);
  });

  it('treats the same request with its keys in another order as the same request', async () => {
    const first = await service.createJob('store', request({ language: 'ja', instructions: 'x' }), 'key-1');
    const reordered = { instructions: 'x', language: 'ja', ...request() };
    const again = await service.createJob('store', reordered, 'key-1');
    expect(again.job.jobId).toBe(first.job.jobId);
  });

  it('refuses an Idempotency-Key sent again with another request', async () => {
    await service.createJob('store', request(), 'key-1');
    await expect(service.createJob('store', request({ type: 'analyze' }), 'key-1')).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  it('stores no job it could not queue, so that nothing is left queued without a message', async () => {
    queue.failSends = true;
    await expect(service.createJob('store', request(), 'key-9')).rejects.toBeInstanceOf(
      JobQueueUnavailableError,
    );
    expect([...jobs.ids()]).toEqual([]);

    // The retry the 503 asked for, under the same key, makes the job.
    queue.failSends = false;
    const retried = await service.createJob('store', request(), 'key-9');
    expect(retried).toMatchObject({ created: true, job: { status: 'queued' } });
    expect(queue.sent.map((sent) => sent.jobId)).toEqual([retried.job.jobId]);
  });

  it('queues a job before it stores it: a job that could not be stored leaves only a message', async () => {
    const failingJobs = Object.assign(new MemoryJobStore(), {
      create: async () => {
        throw new Error('ProvisionedThroughputExceeded');
      },
    });
    const failing = new JobService({ jobs: failingJobs, documents, queue, executions });
    await expect(failing.createJob('store', request())).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(queue.sent).toHaveLength(1);
    expect([...failingJobs.ids()]).toEqual([]);
  });

  it('shows a job only to its tenant', async () => {
    const { job } = await service.createJob('store', request());
    expect(await service.getJob('store', job.jobId)).toMatchObject({ job: { jobId: job.jobId } });
    expect(await service.getJob('mobile', job.jobId)).toBeUndefined();
  });

  it('links the whole result of a job that holds only its start', async () => {
    const { job } = await service.createJob('store', request());
    await jobs.transition(job.jobId, ['queued'], {
      status: 'succeeded',
      result: {
        text: '…',
        model: 'm',
        usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
        costUsd: 0,
        resultKey: documentKeys.result(job.jobId),
      },
      updatedAt: 'later',
    });
    expect((await service.getJob('store', job.jobId))?.resultUrl).toBe(
      `memory://get/${documentKeys.result(job.jobId)}`,
    );
  });

  it('cancels a queued job, which has no execution to stop', async () => {
    const { job } = await service.createJob('store', request({ priority: 'low' }));
    expect(queue.sent).toMatchObject([{ jobId: job.jobId, priority: 'low' }]);
    expect(await service.cancelJob('store', job.jobId)).toBe('cancelled');
    expect(executions.stopped).toEqual([]);
    expect((await jobs.get(job.jobId))?.status).toBe('cancelled');
  });

  it('cancels a running job and stops its execution, once', async () => {
    const { job } = await service.createJob('store', request());
    await jobs.transition(job.jobId, ['queued'], {
      status: 'running',
      executionId: 'exec-1',
      updatedAt: 'later',
    });
    expect(await service.cancelJob('store', job.jobId)).toBe('cancelled');
    expect(await service.cancelJob('store', job.jobId)).toBe('cancelled');
    expect(executions.stopped).toEqual([{ executionId: 'exec-1', cause: 'cancelled by its tenant' }]);
    expect((await jobs.get(job.jobId))?.status).toBe('cancelled');
  });

  it('does not cancel a finished job or another tenant’s', async () => {
    const { job } = await service.createJob('store', request());
    expect(await service.cancelJob('mobile', job.jobId)).toBe('not_found');
    await jobs.transition(job.jobId, ['queued'], { status: 'failed', updatedAt: 'later' });
    expect(await service.cancelJob('store', job.jobId)).toBe('finished');
    expect(executions.stopped).toEqual([]);
  });
});
