import { recordingLogger } from '@mangaassist/commons/testing';
import { eventSources, jobEndedDetailSchema } from '@mangaassist/contracts';
import { EventPublishError } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../job.js';
import { jobRecord, jobResult } from '../testing/job-store-contract.js';
import {
  type CallbackMessage,
  type CallbackQueue,
  jobEndedDetail,
  makeJobNotifier,
} from './job-notifications.js';

const resultText = '要約: 海賊王を目指す少年の物語。結末は第1100話で明かされる。';

/** A `CallbackQueue` that keeps what it was given, or rejects with `failure`. */
function recordingCallbackQueue(failure?: Error) {
  const queued: CallbackMessage[] = [];
  const queue: CallbackQueue = {
    async enqueue(message) {
      if (failure) throw failure;
      queued.push(message);
    },
  };
  return { queue, queued };
}

const succeededJob = (overrides: Partial<JobRecord> = {}) =>
  jobRecord({
    status: 'succeeded',
    chunksDone: 3,
    chunksTotal: 3,
    updatedAt: '2026-01-01T00:04:00.000Z',
    result: jobResult({
      text: resultText,
      usage: { inputTokens: 1_200, outputTokens: 80, cacheReadInputTokens: 300, cacheWriteInputTokens: 40 },
    }),
    ...overrides,
  });

const failedJob = (overrides: Partial<JobRecord> = {}) =>
  jobRecord({
    status: 'failed',
    error: { code: 'document_unreadable', message: 'The document is not valid UTF-8 text.' },
    ...overrides,
  });

function harness(options: { readonly publisher?: ReturnType<typeof recordingPublisher> } = {}) {
  const events = options.publisher ?? recordingPublisher();
  const callbacks = recordingCallbackQueue();
  const logger = recordingLogger();
  const notify = makeJobNotifier({ events: events.publisher, callbacks: callbacks.queue, logger });
  return { notify, events, callbacks, logger };
}

describe('jobEndedDetail', () => {
  it('maps a succeeded job to the snake-case detail with its usage and cost, without the result text', () => {
    const job = succeededJob();

    expect(jobEndedDetail({ ...job, status: 'succeeded' })).toStrictEqual({
      job_id: job.jobId,
      tenant_id: 'tenant-1',
      type: 'summarize',
      status: 'succeeded',
      progress: { chunks_done: 3, chunks_total: 3 },
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:04:00.000Z',
      result: {
        model: 'claude-haiku-4-5',
        usage: {
          input_tokens: 1_200,
          output_tokens: 80,
          cache_read_input_tokens: 300,
          cache_write_input_tokens: 40,
        },
        cost_usd: 0.0016,
      },
      processing_stage: 'completed',
    });
  });

  it('carries a failed job’s error and no result', () => {
    const job = failedJob();

    const detail = jobEndedDetail({ ...job, status: 'failed' });

    expect(detail.error).toStrictEqual({
      code: 'document_unreadable',
      message: 'The document is not valid UTF-8 text.',
    });
    expect(detail).not.toHaveProperty('result');
    expect(jobEndedDetailSchema.safeParse(detail).success).toBe(true);
  });

  it('leaves out the result key of a long result, which only the jobs API links', () => {
    const job = succeededJob({ result: jobResult({ text: resultText, resultKey: 'jobs/job_x/result.txt' }) });

    const detail = jobEndedDetail({ ...job, status: 'succeeded' });

    expect(JSON.stringify(detail)).not.toContain('result.txt');
  });
});

describe('makeJobNotifier', () => {
  it('publishes one JobCompleted from mangaassist.ai for a succeeded job, its detail valid and without the result text', async () => {
    const { notify, events } = harness();
    const job = succeededJob();

    await notify(job);

    expect(events.calls).toHaveLength(1);
    expect(events.published).toHaveLength(1);
    const [event] = events.published;
    expect(event).toMatchObject({ source: eventSources.ai, detailType: 'JobCompleted' });
    expect(event?.source).toBe('mangaassist.ai');
    expect(jobEndedDetailSchema.parse(event?.detail)).toStrictEqual(
      jobEndedDetail({ ...job, status: 'succeeded' }),
    );
    expect(JSON.stringify(event?.detail)).not.toContain(resultText);
    expect(event?.detail).not.toHaveProperty('result.text');
  });

  it('publishes JobFailed with the error for a failed job', async () => {
    const { notify, events } = harness();
    const job = failedJob();

    await notify(job);

    expect(events.published).toHaveLength(1);
    const [event] = events.published;
    expect(event).toMatchObject({ source: 'mangaassist.ai', detailType: 'JobFailed' });
    expect(jobEndedDetailSchema.parse(event?.detail)).toMatchObject({
      job_id: job.jobId,
      status: 'failed',
      error: { code: 'document_unreadable', message: 'The document is not valid UTF-8 text.' },
    });
  });

  it.each(['cancelled', 'running', 'queued'] as const)(
    'publishes nothing and queues nothing for a %s job, even with a callback URL',
    async (status) => {
      const { notify, events, callbacks } = harness();

      await notify(jobRecord({ status, callbackUrl: 'https://partner.example.com/cb' }));

      expect(events.calls).toEqual([]);
      expect(callbacks.queued).toEqual([]);
    },
  );

  it.each([
    ['succeeded', succeededJob],
    ['failed', failedJob],
  ] as const)('queues the callback of a %s job that has a callback URL', async (status, makeJob) => {
    const { notify, callbacks, logger } = harness();
    const job = makeJob({ callbackUrl: 'https://partner.example.com/cb' });

    await notify(job);

    expect(callbacks.queued).toStrictEqual([{ job_id: job.jobId, status }]);
    expect(logger.entries).toContainEqual({
      level: 'info',
      message: 'job callback queued',
      fields: { jobId: job.jobId, status },
    });
  });

  it('queues no callback for a job without a callback URL, but still publishes its event', async () => {
    const { notify, events, callbacks } = harness();

    await notify(succeededJob());

    expect(callbacks.queued).toEqual([]);
    expect(events.published).toHaveLength(1);
  });

  it('rejects when the bus does not take the event, queuing no callback, so the step is retried', async () => {
    const refusing = recordingPublisher(() => new Map([[0, 'InternalFailure']]));
    const { notify, callbacks } = harness({ publisher: refusing });

    await expect(
      notify(succeededJob({ callbackUrl: 'https://partner.example.com/cb' })),
    ).rejects.toBeInstanceOf(EventPublishError);
    expect(callbacks.queued).toEqual([]);
  });

  it('rejects when the callback cannot be queued, so the step is retried', async () => {
    const events = recordingPublisher();
    const failure = new Error('queue unavailable');
    const notify = makeJobNotifier({
      events: events.publisher,
      callbacks: recordingCallbackQueue(failure).queue,
    });

    await expect(notify(succeededJob({ callbackUrl: 'https://partner.example.com/cb' }))).rejects.toBe(
      failure,
    );
  });

  it('settles without a bus or a queue to notify', async () => {
    const notify = makeJobNotifier({});

    await expect(
      notify(succeededJob({ callbackUrl: 'https://partner.example.com/cb' })),
    ).resolves.toBeUndefined();
  });
});
