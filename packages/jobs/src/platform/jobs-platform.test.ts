import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ConfigurationError } from '@mangaassist/commons';
import type { HttpRequest, HttpResponse } from '@mangaassist/http';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { jobMessageBody } from '../job-starter.js';
import { MemoryJobStore } from '../memory-job-store.js';
import { jobRecord } from '../testing/job-store-contract.js';
import { MemoryDocumentStore } from '../testing/memory-document-store.js';
import { RecordingJobExecutions, RecordingJobQueue } from '../testing/recording-job-queue.js';
import { type JobsConfig, jobsConfigFromEnvironment, jobsConfigSchema } from './jobs-config.js';
import { createJobStarterPlatform, createJobsApiPlatform } from './jobs-platform.js';

const sqsMock = mockClient(SQSClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => sqsMock.restore());

beforeEach(() => {
  sqsMock.reset();
});

const dev = (settings: Partial<JobsConfig> = {}) => jobsConfigSchema.parse(settings);
const prod = (settings: Partial<JobsConfig> = {}) => jobsConfigSchema.parse({ stage: 'prod', ...settings });

const tenantsJson = JSON.stringify({
  tenants: [{ id: 'manga-store', name: 'Manga Store' }],
  apiKeys: { 'key-1': 'manga-store' },
});

const deployed = {
  jobsTable: 'mangaassist-prod-jobs',
  documentsBucket: 'mangaassist-prod-documents',
  jobsQueueUrl: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-jobs',
  jobsLowQueueUrl: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-jobs-low',
  jobStateMachineArn: 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:mangaassist-prod-jobs',
} as const;

/** Every port in memory: nothing is built from the config. */
function memoryPorts() {
  return {
    jobs: new MemoryJobStore(),
    documents: new MemoryDocumentStore(),
    queue: new RecordingJobQueue(),
    executions: new RecordingJobExecutions(),
  };
}

function postJob(body: unknown, tenantId = 'manga-store'): HttpRequest {
  return {
    method: 'POST',
    path: '/v1/jobs',
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(JSON.stringify(body)),
    requestId: 'req-1',
    tenantId,
  };
}

/** The job id of a 202 answer to `POST /v1/jobs`. */
function acceptedJobId(response: HttpResponse): string {
  const accepted: { job_id: string } = JSON.parse(response.body);
  return accepted.job_id;
}

describe('jobsConfigFromEnvironment', () => {
  it('reads where jobs live and run besides the gateway’s and the tenants’ settings', () => {
    expect(
      jobsConfigFromEnvironment({
        MANGA_ENV: 'prod',
        TENANTS_JSON: tenantsJson,
        JOBS_TABLE: deployed.jobsTable,
        DOCUMENTS_BUCKET: deployed.documentsBucket,
        JOBS_QUEUE_URL: deployed.jobsQueueUrl,
        JOBS_LOW_QUEUE_URL: deployed.jobsLowQueueUrl,
        JOB_STATE_MACHINE_ARN: deployed.jobStateMachineArn,
      }),
    ).toMatchObject({ stage: 'prod', tenantsJson, ...deployed });
  });

  it('leaves every job setting unset when its variable is', () => {
    const config = jobsConfigFromEnvironment({});
    expect(config).not.toHaveProperty('jobsTable');
    expect(config).not.toHaveProperty('jobStateMachineArn');
  });

  it('rejects a state machine ARN that is not one, naming the variable', () => {
    expect(() => jobsConfigFromEnvironment({ JOB_STATE_MACHINE_ARN: 'mangaassist-prod-jobs' })).toThrow(
      ConfigurationError,
    );
    expect(() => jobsConfigFromEnvironment({ JOB_STATE_MACHINE_ARN: 'mangaassist-prod-jobs' })).toThrow(
      /JOB_STATE_MACHINE_ARN: a state machine ARN/,
    );
  });

  it('rejects a queue URL that is not a URL, naming the variable', () => {
    expect(() => jobsConfigFromEnvironment({ JOBS_LOW_QUEUE_URL: 'jobs-low' })).toThrow(
      /JOBS_LOW_QUEUE_URL: /,
    );
  });
});

describe('createJobsApiPlatform', () => {
  it('builds over the ports it is given in dev, needing no job setting', () => {
    const ports = memoryPorts();
    const platform = createJobsApiPlatform(dev(), ports);
    expect(platform.resolveTenant('key-1')).toBe('key-1');
    platform.close();
  });

  it.each([
    ['JOBS_TABLE', {}],
    ['DOCUMENTS_BUCKET', { jobs: new MemoryJobStore() }],
    ['JOB_STATE_MACHINE_ARN', { jobs: new MemoryJobStore(), documents: new MemoryDocumentStore() }],
    [
      'JOBS_QUEUE_URL',
      {
        jobs: new MemoryJobStore(),
        documents: new MemoryDocumentStore(),
        executions: new RecordingJobExecutions(),
      },
    ],
  ])('throws ConfigurationError naming %s when it is unset and its port not given', (variable, ports) => {
    expect(() => createJobsApiPlatform(dev(), { ...ports, region: 'ap-northeast-1' })).toThrow(
      ConfigurationError,
    );
    expect(() => createJobsApiPlatform(dev(), { ...ports, region: 'ap-northeast-1' })).toThrow(
      `${variable} is required`,
    );
  });

  it('throws ConfigurationError naming JOBS_LOW_QUEUE_URL when only the normal queue is set', () => {
    const { queue: _, ...ports } = memoryPorts();
    expect(() =>
      createJobsApiPlatform(dev({ jobsQueueUrl: deployed.jobsQueueUrl }), {
        ...ports,
        region: 'ap-northeast-1',
      }),
    ).toThrow('JOBS_LOW_QUEUE_URL is required');
  });

  it('queues a job on the SQS queue of its priority when no queue is given', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const { queue: _, ...ports } = memoryPorts();
    const platform = createJobsApiPlatform(dev(deployed), { ...ports, region: 'ap-northeast-1' });
    const document = { text: 'チェンソーマン。' };

    const low = await platform.endpoint(postJob({ type: 'summarize', document, priority: 'low' }));
    const normal = await platform.endpoint(postJob({ type: 'summarize', document }));

    expect(sqsMock).toReceiveCommandTimes(SendMessageCommand, 2);
    const lanes = sqsMock.commandCalls(SendMessageCommand).map((call) => {
      const { QueueUrl, MessageBody } = call.args[0].input;
      return [QueueUrl, JSON.parse(MessageBody ?? '{}')];
    });
    expect(lanes).toEqual([
      [
        deployed.jobsLowQueueUrl,
        { job_id: acceptedJobId(low), priority: 'low', queued_at: expect.any(String) },
      ],
      [
        deployed.jobsQueueUrl,
        { job_id: acceptedJobId(normal), priority: 'normal', queued_at: expect.any(String) },
      ],
    ]);
    platform.close();
  });

  it('builds every AWS adapter from the settings when no port is given', () => {
    const platform = createJobsApiPlatform(dev(deployed), { region: 'ap-northeast-1' });
    expect(platform.resolveTenant(undefined)).toBe('anonymous');
    platform.close();
  });

  it('refuses to run outside dev without the tenants, even with every port given', () => {
    expect(() => createJobsApiPlatform(prod(), memoryPorts())).toThrow(ConfigurationError);
    expect(() => createJobsApiPlatform(prod(), memoryPorts())).toThrow(
      /the jobs API needs tenantsJson when the stage is prod/,
    );
  });

  it('resolves API keys to the tenants of TENANTS_JSON outside dev', () => {
    const platform = createJobsApiPlatform(prod({ tenantsJson }), memoryPorts());
    expect(platform.resolveTenant('key-1')).toBe('manga-store');
    platform.close();
  });

  it('accepts POST /v1/jobs with 202 and queues the stored job on its priority lane', async () => {
    const ports = memoryPorts();
    const platform = createJobsApiPlatform(dev(), ports);

    const response = await platform.endpoint(
      postJob({ type: 'summarize', document: { text: '進撃の巨人。' }, priority: 'low' }),
    );

    expect(response.statusCode).toBe(202);
    const jobId = acceptedJobId(response);
    expect(ports.queue.sent).toMatchObject([{ jobId, priority: 'low' }]);
    expect(await ports.jobs.get(jobId)).toMatchObject({
      tenantId: 'manga-store',
      status: 'queued',
    });
    platform.close();
  });
});

describe('createJobStarterPlatform', () => {
  it('starts a queued job over the ports it is given', async () => {
    const { jobs, executions, queue } = memoryPorts();
    const { job } = await jobs.create(jobRecord());
    const platform = createJobStarterPlatform(dev(), { jobs, executions, queue });

    expect(await platform.start(jobMessageBody(job.jobId))).toEqual({
      outcome: 'started',
      executionId: `exec-${job.jobId}`,
    });
    expect(executions.started).toEqual([job.jobId]);
    platform.close();
  });

  it('throws ConfigurationError naming what it needs and was not given', () => {
    expect(() => createJobStarterPlatform(dev(), { region: 'ap-northeast-1' })).toThrow(
      'JOBS_TABLE is required',
    );
    expect(() => createJobStarterPlatform(dev(), { jobs: new MemoryJobStore() })).toThrow(
      'JOB_STATE_MACHINE_ARN is required',
    );
  });
});
