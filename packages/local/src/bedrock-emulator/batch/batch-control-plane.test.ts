// Batch inference on the wire: the real `@aws-sdk/client-bedrock` against the emulator.
import {
  type BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StopModelInvocationJobCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BedrockEmulator, InMemoryBatchObjectStore, startBedrockEmulator } from '../index.js';
import { controlClientFor } from '../test-support.js';
import { claudeRecord, createJobInput, jsonl, StateChangeRecorder } from './batch-fixtures.js';

const store = new InMemoryBatchObjectStore();
const changes = new StateChangeRecorder();
let emulator: BedrockEmulator;
let client: BedrockClient;

beforeAll(async () => {
  emulator = await startBedrockEmulator({
    batch: { objectStore: store, onStateChange: changes.listener, maxActiveJobs: 3 },
  });
  client = controlClientFor(emulator);
  await store.put('catalog-batch', 'in/records.jsonl', jsonl([claudeRecord('r1', 'One Piece volume 108')]));
});

afterEach(() => {
  emulator.faults.clear();
  changes.clear();
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

async function createJob(overrides: Parameters<typeof createJobInput>[0] = {}): Promise<string> {
  const { jobArn } = await client.send(new CreateModelInvocationJobCommand(createJobInput(overrides)));
  if (jobArn === undefined) throw new Error('CreateModelInvocationJob answered without a jobArn');
  return jobArn;
}

describe('CreateModelInvocationJob', () => {
  it('answers with a job ARN in the signing region and the local account', async () => {
    const jobArn = await createJob();

    expect(jobArn).toMatch(
      /^arn:aws:bedrock:ap-northeast-1:000000000000:model-invocation-job\/[a-z0-9]{12}$/,
    );
    await emulator.batch.settled(jobArn);
  });

  it('returns the first job again for a repeated clientRequestToken', async () => {
    const first = await createJob({ clientRequestToken: 'refresh-2025-04-01' });
    const again = await createJob({ clientRequestToken: 'refresh-2025-04-01', jobName: 'another-name' });

    expect(again).toBe(first);
    await emulator.batch.settled(first);
    expect(changes.statuses(first).filter((status) => status === 'Submitted')).toHaveLength(1);
  });

  it('lists every violated constraint in one ValidationException, as the AWS front end does', async () => {
    const sending = client.send(
      new CreateModelInvocationJobCommand(
        createJobInput({
          jobName: 'bad name!',
          roleArn: 'not-a-role',
          timeoutDurationInHours: 12,
        }),
      ),
    );

    await expect(sending).rejects.toBeInstanceOf(ValidationException);
    await expect(sending).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(
        /^3 validation errors detected: Value 'bad name!' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern: .*; Value 'not-a-role' at 'roleArn' .*; Value '12' at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value greater than or equal to 24$/,
      ),
    });
  });

  it('rejects an output URI that is not an S3 URI', async () => {
    const sending = createJob({
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 'https://example.com/out' } },
    });

    await expect(sending).rejects.toThrow(
      /Value 'https:\/\/example.com\/out' at 'outputDataConfig.s3OutputDataConfig.s3Uri' failed to satisfy constraint/,
    );
  });

  it('rejects a model the emulator does not serve with the runtime message', async () => {
    await expect(createJob({ modelId: 'gpt4' })).rejects.toThrow('The provided model identifier is invalid.');
  });

  it('refuses a job beyond the active-job quota with ServiceQuotaExceededException', async () => {
    // Records that wait a minute keep the first jobs active.
    emulator.faults.add({ match: 'One Piece', ttftMs: 60_000 });
    const running = [await createJob(), await createJob(), await createJob()];

    await expect(createJob()).rejects.toBeInstanceOf(ServiceQuotaExceededException);
    for (const jobArn of running)
      await client.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    for (const jobArn of running) await emulator.batch.settled(jobArn);
  });
});

describe('GetModelInvocationJob', () => {
  it('describes a finished job with its configuration, times and record counts', async () => {
    const jobArn = await createJob({ timeoutDurationInHours: 24 });
    await emulator.batch.settled(jobArn);

    const job = await client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));

    expect(job).toMatchObject({
      jobArn,
      jobName: 'catalog-refresh',
      modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
      roleArn: 'arn:aws:iam::123456789012:role/catalog-batch',
      status: 'Completed',
      inputDataConfig: {
        s3InputDataConfig: { s3Uri: 's3://catalog-batch/in/records.jsonl', s3InputFormat: 'JSONL' },
      },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://catalog-batch/out/' } },
      timeoutDurationInHours: 24,
      totalRecordCount: 1,
      processedRecordCount: 1,
      successRecordCount: 1,
      errorRecordCount: 0,
    });
    expect(job.submitTime).toBeInstanceOf(Date);
    expect(job.endTime?.getTime()).toBeGreaterThanOrEqual(job.submitTime?.getTime() ?? Number.NaN);
    expect(job.jobExpirationTime?.getTime()).toBe((job.submitTime?.getTime() ?? 0) + 24 * 3_600_000);
  });

  it('finds a job by its bare 12-character id too', async () => {
    const jobArn = await createJob();
    await emulator.batch.settled(jobArn);

    const job = await client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn.split('/')[1] }));

    expect(job.jobArn).toBe(jobArn);
  });

  it('answers ResourceNotFoundException (404) for an unknown job, and for a job of another region', async () => {
    const jobArn = await createJob();
    await emulator.batch.settled(jobArn);
    const virginia = controlClientFor(emulator, { region: 'us-east-1' });

    const unknown = client.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefghijkl' }));
    const elsewhere = virginia.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));

    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(unknown).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await expect(elsewhere).rejects.toBeInstanceOf(ResourceNotFoundException);
    virginia.destroy();
  });

  it('rejects an identifier that is neither a job ARN nor a job id', async () => {
    await expect(
      client.send(new GetModelInvocationJobCommand({ jobIdentifier: 'catalog-refresh' })),
    ).rejects.toThrow(/Value 'catalog-refresh' at 'jobIdentifier' failed to satisfy constraint/);
  });
});

describe('ListModelInvocationJobs', () => {
  it('pages through the region’s jobs, newest first, filtered by status and name', async () => {
    const region = 'eu-west-1';
    const ireland = controlClientFor(emulator, { region });
    const created: string[] = [];
    for (const jobName of ['weekly-a', 'weekly-b', 'daily-c']) {
      const { jobArn } = await ireland.send(new CreateModelInvocationJobCommand(createJobInput({ jobName })));
      if (jobArn !== undefined) created.push(jobArn);
    }
    for (const jobArn of created) await emulator.batch.settled(jobArn);

    const first = await ireland.send(new ListModelInvocationJobsCommand({ maxResults: 2 }));
    const second = await ireland.send(
      new ListModelInvocationJobsCommand({ maxResults: 2, nextToken: first.nextToken }),
    );
    const weekly = await ireland.send(
      new ListModelInvocationJobsCommand({
        nameContains: 'weekly',
        statusEquals: 'Completed',
        sortOrder: 'Ascending',
      }),
    );

    expect(first.invocationJobSummaries?.map((job) => job.jobArn)).toEqual([created[2], created[1]]);
    expect(first.nextToken).toBeDefined();
    expect(second.invocationJobSummaries?.map((job) => job.jobArn)).toEqual([created[0]]);
    expect(second.nextToken).toBeUndefined();
    expect(weekly.invocationJobSummaries?.map((job) => job.jobName)).toEqual(['weekly-a', 'weekly-b']);
    expect(weekly.invocationJobSummaries?.[0]).toMatchObject({ status: 'Completed', totalRecordCount: 1 });
    ireland.destroy();
  });

  it('rejects a page token it did not issue', async () => {
    await expect(
      client.send(new ListModelInvocationJobsCommand({ nextToken: 'bm90LWEtdG9rZW4' })),
    ).rejects.toBeInstanceOf(ValidationException);
  });
});

describe('StopModelInvocationJob', () => {
  it('rejects stopping a job that has ended with a ValidationException', async () => {
    const jobArn = await createJob();
    await emulator.batch.settled(jobArn);

    await expect(client.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }))).rejects.toThrow(
      /is Completed and cannot be stopped/,
    );
  });
});

describe('a Converse job', () => {
  it('reads Converse bodies and writes Converse responses as modelOutput', async () => {
    await store.put(
      'catalog-batch',
      'in/converse.jsonl',
      jsonl([
        {
          recordId: 'c1',
          modelInput: {
            messages: [{ role: 'user', content: [{ text: 'Recommend a sports manga' }] }],
            inferenceConfig: { maxTokens: 200 },
          },
        },
      ]),
    );

    const jobArn = await createJob({ file: 'converse.jsonl', modelInvocationType: 'Converse' });
    const job = await emulator.batch.settled(jobArn);
    const output = store.text('catalog-batch', `out/${jobArn.split('/')[1]}/converse.jsonl.out`) ?? '';

    expect(job).toMatchObject({ status: 'Completed', modelInvocationType: 'Converse' });
    expect(JSON.parse(output)).toMatchObject({
      recordId: 'c1',
      modelOutput: {
        output: {
          message: { role: 'assistant', content: [{ text: expect.stringContaining('sports manga') }] },
        },
        stopReason: 'end_turn',
        usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
      },
    });
  });
});

describe('the emulator without an object store', () => {
  it('refuses CreateModelInvocationJob, saying how to set batch inference up', async () => {
    const bare = await startBedrockEmulator();
    const bareClient = controlClientFor(bare);
    try {
      await expect(bareClient.send(new CreateModelInvocationJobCommand(createJobInput()))).rejects.toThrow(
        /batch\.objectStore/,
      );
    } finally {
      bareClient.destroy();
      await bare.close();
    }
  });
});
