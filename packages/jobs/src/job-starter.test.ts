import { recordingLogger } from '@mangaassist/commons/testing';
import type { JobStatus } from '@mangaassist/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { type JobExecutions, jobMessageBody, makeJobStartAbandoner, makeJobStarter } from './job-starter.js';
import { MemoryJobStore } from './memory-job-store.js';
import { makeJobStarterHandler } from './sqs/job-starter-handler.js';
import { jobRecord, newJobId } from './testing/job-store-contract.js';
import { RecordingJobExecutions, RecordingJobQueue } from './testing/recording-job-queue.js';

/** Job executions whose start always fails, as Step Functions throttling or an outage would. */
class FailingJobExecutions implements JobExecutions {
  async start(): Promise<string> {
    throw new Error('ExecutionLimitExceeded');
  }

  async stop(): Promise<void> {}
}

describe('makeJobStarter', () => {
  let jobs: MemoryJobStore;
  let executions: RecordingJobExecutions;
  let start: ReturnType<typeof makeJobStarter>;

  beforeEach(() => {
    jobs = new MemoryJobStore();
    executions = new RecordingJobExecutions();
    start = makeJobStarter({ jobs, executions });
  });

  /** Stores a job in `status` and answers its id. */
  async function storedJob(status: JobStatus = 'queued'): Promise<string> {
    const { job } = await jobs.create(jobRecord({ status }));
    return job.jobId;
  }

  it('starts the execution of a queued job named by its message, once', async () => {
    const jobId = await storedJob();
    const other = await storedJob();

    expect(await start(jobMessageBody(jobId))).toEqual({ outcome: 'started', executionId: `exec-${jobId}` });

    expect(executions.started).toEqual([jobId]);
    expect(executions.started).not.toContain(other);
  });

  it('logs the started job with its tenant and execution', async () => {
    const logger = recordingLogger();
    const jobId = await storedJob();

    await makeJobStarter({ jobs, executions, logger })(jobMessageBody(jobId));

    expect(logger.entries).toEqual([
      {
        level: 'info',
        message: 'job started',
        fields: { jobId, tenantId: 'tenant-1', executionId: `exec-${jobId}` },
      },
    ]);
  });

  it('skips a job that does not exist (expired, or never stored), starting nothing', async () => {
    const outcome = await start(jobMessageBody(newJobId()));

    expect(outcome).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/no such job/) });
    expect(executions.started).toEqual([]);
  });

  it.each<JobStatus>(['cancelled', 'running', 'succeeded', 'failed'])(
    'skips a job that is %s, naming its status, starting nothing',
    async (status) => {
      const jobId = await storedJob(status);

      expect(await start(jobMessageBody(jobId))).toEqual({
        outcome: 'skipped',
        reason: `the job is ${status}`,
      });
      expect(executions.started).toEqual([]);
    },
  );

  it.each([
    ['a body that is not JSON', 'job_abc'],
    ['a body without a job id', JSON.stringify({ jobId: newJobId() })],
    ['a job id that is not a string', JSON.stringify({ job_id: 42 })],
    ['a malformed job id', JSON.stringify({ job_id: 'job_UPPERCASE' })],
    ['a body with an unknown lane', JSON.stringify({ job_id: newJobId(), priority: 'urgent' })],
    ['a JSON array', JSON.stringify([newJobId()])],
  ])('throws on %s, so the message is retried and then dead-lettered', async (_, body) => {
    await expect(start(body)).rejects.toThrow();
    expect(executions.started).toEqual([]);
  });

  it('throws what the executions throw, so the message is retried', async () => {
    const jobId = await storedJob();
    const failing = makeJobStarter({ jobs, executions: new FailingJobExecutions() });

    await expect(failing(jobMessageBody(jobId))).rejects.toThrow('ExecutionLimitExceeded');
  });

  it('starts the job of a message with fields it does not know (one of a later release)', async () => {
    const jobId = await storedJob();
    const later = JSON.stringify({ job_id: jobId, priority: 'normal', trace_id: 'abc', attempt: 2 });

    expect(await start(later)).toMatchObject({ outcome: 'started' });
  });

  it('writes a message body that its starter reads', async () => {
    const jobId = await storedJob();

    const body = jobMessageBody(jobId, 'low', '2026-12-07T01:02:03.000Z');
    expect(JSON.parse(body)).toEqual({
      job_id: jobId,
      priority: 'low',
      queued_at: '2026-12-07T01:02:03.000Z',
    });
    expect(await start(body)).toMatchObject({ outcome: 'started' });
  });
});

describe('makeJobStarter, a message ahead of its job', () => {
  const queuedAt = '2026-12-07T00:00:00.000Z';
  const at = (seconds: number) => () => new Date(Date.parse(queuedAt) + seconds * 1000);

  it('asks again a moment later while the API may still be storing the job, then starts it', async () => {
    const jobs = new MemoryJobStore();
    const executions = new RecordingJobExecutions();
    const queue = new RecordingJobQueue();
    let now = at(0.1);
    const start = makeJobStarter({ jobs, executions, queue, now: () => now() });
    const job = jobRecord({ status: 'queued', priority: 'low', createdAt: queuedAt });
    const body = jobMessageBody(job.jobId, 'low', queuedAt);

    // Each time as long as it has waited so far: 2 s at first, 30 s at most.
    for (const seconds of [0.1, 7.5, 59]) {
      now = at(seconds);
      expect(await start(body)).toEqual({ outcome: 'deferred', reason: 'its record is not stored yet' });
    }
    expect(queue.sent).toEqual(
      [2, 8, 30].map((delaySeconds) => ({ jobId: job.jobId, priority: 'low', delaySeconds, queuedAt })),
    );

    await jobs.create(job);
    expect(await start(body)).toMatchObject({ outcome: 'started' });
    expect(executions.started).toEqual([job.jobId]);
  });

  it('skips a job never stored once the API would have stored it, and a message that does not say when or where', async () => {
    const queue = new RecordingJobQueue();
    const jobId = newJobId();
    const start = (now: () => Date) =>
      makeJobStarter({ jobs: new MemoryJobStore(), executions: new RecordingJobExecutions(), queue, now });

    expect(await start(at(60))(jobMessageBody(jobId, 'normal', queuedAt))).toMatchObject({
      outcome: 'skipped',
    });
    expect(await start(at(1))(jobMessageBody(jobId))).toMatchObject({ outcome: 'skipped' });
    // Nor one that does not name its lane: there is no queue to put it back on.
    expect(await start(at(1))(jobMessageBody(jobId, undefined, queuedAt))).toMatchObject({
      outcome: 'skipped',
    });
    expect(queue.sent).toEqual([]);
  });

  it('refuses a per-tenant cap without a queue to defer jobs to', () => {
    expect(() =>
      makeJobStarter({
        jobs: new MemoryJobStore(),
        executions: new RecordingJobExecutions(),
        cap: { maxRunning: 1 },
      }),
    ).toThrow(TypeError);
  });
});

describe('makeJobStartAbandoner', () => {
  it('fails a job still queued, saying it could not be started', async () => {
    const jobs = new MemoryJobStore();
    const job = jobRecord({ status: 'queued' });
    await jobs.create(job);
    await makeJobStartAbandoner({ jobs })(jobMessageBody(job.jobId), 'throttled');
    expect(await jobs.get(job.jobId)).toMatchObject({ status: 'failed', error: { code: 'start_failed' } });
  });

  it('leaves a job that has moved on, and ignores a body that names no job', async () => {
    const jobs = new MemoryJobStore();
    const job = jobRecord({ status: 'running' });
    await jobs.create(job);
    const abandon = makeJobStartAbandoner({ jobs });
    await abandon(jobMessageBody(job.jobId), 'throttled');
    await abandon('not json', 'throttled');
    expect((await jobs.get(job.jobId))?.status).toBe('running');
  });
});

describe('makeJobStarter with a per-tenant cap', () => {
  it('queues a job again, later, while its tenant runs its cap of jobs; starts it once one ends', async () => {
    const jobs = new MemoryJobStore();
    const executions = new RecordingJobExecutions();
    const queue = new RecordingJobQueue();
    const start = makeJobStarter({
      jobs,
      executions,
      queue,
      cap: { maxRunning: 2 },
      now: () => new Date('2026-01-01T00:05:00Z'),
    });
    const tenantId = 'tenant-capped';
    const running = [jobRecord({ tenantId, status: 'running' }), jobRecord({ tenantId, status: 'running' })];
    for (const job of running) await jobs.create(job);
    const waiting = jobRecord({ tenantId, status: 'queued', priority: 'low' });
    await jobs.create(waiting);
    await jobs.create(jobRecord({ tenantId: 'someone-else', status: 'running' }));

    expect(await start(jobMessageBody(waiting.jobId))).toEqual({
      outcome: 'deferred',
      reason: 'tenant tenant-capped runs 2 jobs',
    });
    // Every message of the job carries when it was first queued.
    expect(queue.sent).toEqual([
      { jobId: waiting.jobId, priority: 'low', delaySeconds: 30, queuedAt: waiting.createdAt },
    ]);
    expect(executions.started).toEqual([]);

    await jobs.transition(running[0]?.jobId ?? '', ['running'], { status: 'succeeded', updatedAt: 'later' });
    expect(await start(jobMessageBody(waiting.jobId))).toMatchObject({ outcome: 'started' });
    expect(executions.started).toEqual([waiting.jobId]);
  });
});

describe('makeJobStarter with a per-tenant cap, on a burst', () => {
  async function burst(count: number) {
    const jobs = new MemoryJobStore();
    const executions = new RecordingJobExecutions();
    const queue = new RecordingJobQueue();
    const start = makeJobStarter({
      jobs,
      executions,
      queue,
      cap: { maxRunning: 2 },
      now: () => new Date('2026-01-01T00:05:00Z'),
    });
    const queued = Array.from({ length: count }, () => jobRecord({ tenantId: 't-burst', status: 'queued' }));
    for (const job of queued) await jobs.create(job);
    return { jobs, executions, queue, start, queued };
  }

  it('starts no more than the cap of jobs queued one after another, marking each started job running', async () => {
    const { jobs, executions, queue, start, queued } = await burst(5);
    for (const job of queued) await start(jobMessageBody(job.jobId));
    expect(executions.started).toHaveLength(2);
    expect(queue.sent).toHaveLength(3);
    expect(await jobs.runningJobIds('t-burst')).toHaveLength(2);
  });

  it('starts no more than the cap of one batch handled by the queue handler', async () => {
    const { executions, start, queued } = await burst(10);
    const handler = makeJobStarterHandler(start);
    const records = queued.map((job, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `r-${index}`,
      body: jobMessageBody(job.jobId),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:jobs',
      awsRegion: 'local',
    }));
    await handler({ Records: records });
    expect(executions.started).toHaveLength(2);
  });
});

describe('makeJobStarter with a per-tenant cap, waiting too long', () => {
  it('fails a job that has waited longer than maxWaitSeconds for a slot, instead of deferring it again', async () => {
    const jobs = new MemoryJobStore();
    const queue = new RecordingJobQueue();
    const start = makeJobStarter({
      jobs,
      executions: new RecordingJobExecutions(),
      queue,
      cap: { maxRunning: 1, maxWaitSeconds: 60 },
      now: () => new Date('2026-12-07T00:02:00Z'),
    });
    await jobs.create(jobRecord({ tenantId: 't-wait', status: 'running' }));
    const old = jobRecord({ tenantId: 't-wait', status: 'queued', createdAt: '2026-12-07T00:00:00.000Z' });
    const fresh = jobRecord({ tenantId: 't-wait', status: 'queued', createdAt: '2026-12-07T00:01:30.000Z' });
    await jobs.create(old);
    await jobs.create(fresh);
    expect(await start(jobMessageBody(old.jobId))).toMatchObject({ outcome: 'skipped' });
    expect(await jobs.get(old.jobId)).toMatchObject({
      status: 'failed',
      error: { code: 'capacity_timeout' },
    });
    expect(await start(jobMessageBody(fresh.jobId))).toMatchObject({ outcome: 'deferred' });
    expect(queue.sent.map((sent) => sent.jobId)).toEqual([fresh.jobId]);
  });
});
