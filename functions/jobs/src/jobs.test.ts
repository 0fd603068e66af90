import { silentLogger } from '@mangaassist/commons';
import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import { jobMessageBody, MemoryJobStore, makeJobStarter } from '@mangaassist/jobs';
import { createJobStepsPlatform, createJobsApiPlatform, jobsConfigSchema } from '@mangaassist/jobs/platform';
import {
  jobRecord,
  MemoryDocumentStore,
  RecordingJobExecutions,
  RecordingJobQueue,
} from '@mangaassist/jobs/testing';
import type { APIGatewayProxyEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  makeExecutionEndedEventHandler,
  makeJobStarterQueueHandler,
  makeJobStepsFunctionHandler,
  makeJobsApiHandler,
} from './jobs.js';

const tenantsJson = JSON.stringify({
  tenants: [{ id: 'manga-store', name: 'Manga Store' }],
  apiKeys: { 'key-id-1': 'manga-store' },
});

/** An API Gateway REST proxy event with the fields the adapter reads (the rest do not matter here). */
function apiEvent(
  httpMethod: string,
  path: string,
  options: { body?: unknown; apiKeyId?: string } = {},
): APIGatewayProxyEvent {
  const headers: APIGatewayProxyEvent['headers'] = { 'Content-Type': 'application/json' };
  return {
    httpMethod,
    path,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: { requestId: 'api-req-1', identity: { apiKeyId: options.apiKeyId ?? 'key-id-1' } },
  } as APIGatewayProxyEvent;
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1767225600000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600010',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-jobs',
    awsRegion: 'ap-northeast-1',
  };
}

describe('makeJobsApiHandler', () => {
  function apiHandler() {
    const jobs = new MemoryJobStore();
    const queue = new RecordingJobQueue();
    const platform = createJobsApiPlatform(jobsConfigSchema.parse({ tenantsJson }), {
      jobs,
      documents: new MemoryDocumentStore(),
      queue,
      executions: new RecordingJobExecutions(),
    });
    return { handler: makeJobsApiHandler(platform), jobs, queue };
  }

  it('creates the job of a POST /v1/jobs for the tenant of the API key and answers 202', async () => {
    const { handler, jobs, queue } = apiHandler();

    const result = await handler(
      apiEvent('POST', '/v1/jobs', { body: { type: 'summarize', document: { text: 'ワンピース第1話。' } } }),
    );

    expect(result.statusCode).toBe(202);
    expect(result.headers).toMatchObject({ 'x-request-id': 'api-req-1' });
    const accepted: { job_id: string; status_url: string } = JSON.parse(result.body);
    expect(result.headers).toMatchObject({ location: accepted.status_url });
    expect(await jobs.get(accepted.job_id)).toMatchObject({ tenantId: 'manga-store' });
    expect(queue.sent).toEqual([
      { jobId: accepted.job_id, priority: 'normal', queuedAt: expect.any(String) },
    ]);
  });

  it('shows a job only to its tenant: another key’s GET is a 404', async () => {
    const { handler } = apiHandler();
    const created = await handler(
      apiEvent('POST', '/v1/jobs', { body: { type: 'summarize', document: { text: '鬼滅の刃。' } } }),
    );
    const { status_url: statusUrl }: { status_url: string } = JSON.parse(created.body);

    expect((await handler(apiEvent('GET', statusUrl))).statusCode).toBe(200);
    expect((await handler(apiEvent('GET', statusUrl, { apiKeyId: 'key-id-other' }))).statusCode).toBe(404);
  });
});

describe('makeJobStarterQueueHandler', () => {
  it('starts the queued job of each record', async () => {
    const jobs = new MemoryJobStore();
    const executions = new RecordingJobExecutions();
    const { job } = await jobs.create(jobRecord());
    const handler = makeJobStarterQueueHandler({
      start: makeJobStarter({ jobs, executions }),
      logger: silentLogger,
    });

    expect(await handler({ Records: [sqsRecord('m-1', jobMessageBody(job.jobId))] })).toEqual({
      batchItemFailures: [],
    });
    expect(executions.started).toEqual([job.jobId]);
  });
});

describe('makeJobStepsFunctionHandler', () => {
  const platform = createJobStepsPlatform(jobsConfigSchema.parse({}), {
    jobs: new MemoryJobStore(),
    documents: new MemoryDocumentStore(),
  });
  const { gateway } = platform;

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(() => platform.close());

  it('answers what the step answers, after flushing the gateway’s events for at most 300 ms', async () => {
    const order: string[] = [];
    const flush = vi.spyOn(gateway, 'flush').mockImplementation(async () => {
      order.push('flush');
    });
    const handler = makeJobStepsFunctionHandler({
      gateway,
      handler: async (event) => {
        order.push('step');
        return { chunks: 3, echo: event };
      },
    });

    expect(await handler({ step: 'prepare' })).toEqual({ chunks: 3, echo: { step: 'prepare' } });
    expect(flush).toHaveBeenCalledExactlyOnceWith(300);
    expect(order).toEqual(['step', 'flush']);
  });

  it('flushes the gateway’s events when the step throws, and throws the step’s error', async () => {
    const flush = vi.spyOn(gateway, 'flush').mockResolvedValue(undefined);
    const handler = makeJobStepsFunctionHandler({
      gateway,
      handler: async () => {
        throw Object.assign(new Error('the model is throttled'), { name: 'ModelThrottled' });
      },
    });

    await expect(handler({ step: 'process-chunk' })).rejects.toMatchObject({ name: 'ModelThrottled' });
    expect(flush).toHaveBeenCalledExactlyOnceWith(300);
  });
});

describe('makeExecutionEndedEventHandler', () => {
  it('settles an ended execution under its job in the trace, and ignores one still running', async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const settled: unknown[] = [];
    const handler = makeExecutionEndedEventHandler(async (execution) => {
      settled.push({ execution, annotations: traceAnnotations() });
    });
    await handler({ detail: { name: 'job_1', status: 'RUNNING' } });
    await handler({ detail: { name: 'job_1', status: 'TIMED_OUT', error: 'States.Timeout', cause: null } });
    expect(settled).toEqual([
      {
        execution: { jobId: 'job_1', status: 'TIMED_OUT', error: 'States.Timeout' },
        annotations: { job_id: 'job_1' },
      },
    ]);
  });
});
