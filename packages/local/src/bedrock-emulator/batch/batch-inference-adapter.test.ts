// The gateway's batch-inference adapter, on the real `@aws-sdk/client-bedrock`, against the
// emulator's batch jobs: what a catalog re-enrichment run sees end to end, with no AWS account.
import type { BedrockClient } from '@aws-sdk/client-bedrock';
import {
  BatchJobNotFoundError,
  type BatchJobRequest,
  BatchQuotaExceededError,
  BatchValidationError,
} from '@mangaassist/fm-gateway/batch';
import {
  BedrockBatchInference,
  batchInputLine,
  parseBatchOutput,
} from '@mangaassist/fm-gateway/bedrock-batch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BatchInferenceOptions,
  type BedrockEmulator,
  InMemoryBatchObjectStore,
  startBedrockEmulator,
} from '../index.js';
import { controlClientFor, modelIds } from '../test-support.js';
import { batchRoleArn, jsonl, StateChangeRecorder } from './batch-fixtures.js';

const running: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((resource) => resource.close()));
});

interface Harness {
  readonly emulator: BedrockEmulator;
  readonly store: InMemoryBatchObjectStore;
  readonly changes: StateChangeRecorder;
  readonly batch: BedrockBatchInference;
  readonly client: BedrockClient;
}

async function start(options: Partial<BatchInferenceOptions> = {}): Promise<Harness> {
  const store = new InMemoryBatchObjectStore();
  const changes = new StateChangeRecorder();
  const emulator = await startBedrockEmulator({
    batch: { objectStore: store, onStateChange: changes.listener, ...options },
  });
  const client = controlClientFor(emulator);
  running.push(emulator, { close: async () => client.destroy() });
  return { emulator, store, changes, batch: new BedrockBatchInference(client), client };
}

/** A job request over `s3://catalog-batch/in/<file>`. */
function jobRequest(overrides: Partial<BatchJobRequest> = {}): BatchJobRequest {
  return {
    jobName: 'catalog-refresh',
    modelId: modelIds.haiku,
    inputUri: 's3://catalog-batch/in/catalog.jsonl',
    outputUri: 's3://catalog-batch/out/',
    roleArn: batchRoleArn,
    clientRequestToken: `refresh-${Math.random().toString(36).slice(2)}`,
    ...overrides,
  };
}

/** Input lines as the gateway writes them: one per title, asking for a shop description. */
function catalogInput(titles: readonly string[]): Uint8Array {
  const lines = titles.map((title, index) =>
    batchInputLine(`item-${index + 1}`, {
      modelId: modelIds.haiku,
      messages: [{ role: 'user', content: `Write a shop blurb for ${title}` }],
      maxTokens: 300,
    }),
  );
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

function textOf(store: InMemoryBatchObjectStore, uri: string | undefined): string {
  const [, bucket = '', key = ''] = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri ?? '') ?? [];
  const text = store.text(bucket, key);
  if (text === undefined) throw new Error(`No object at ${uri}; the store holds ${store.uris().join(', ')}`);
  return text;
}

describe('a batch job run through the adapter', () => {
  it('answers three records with three output lines and a manifest, and ends Completed', async () => {
    const { emulator, store, batch } = await start();
    await store.put(
      'catalog-batch',
      'in/catalog.jsonl',
      catalogInput(['One Piece 108', 'Frieren 13', 'Dandadan 17']),
    );

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);
    const job = await batch.describe(jobArn);

    expect(job).toMatchObject({
      jobArn,
      status: 'Completed',
      records: { total: 3, processed: 3, succeeded: 3, failed: 0 },
    });
    expect(job.output.file).toBe(`s3://catalog-batch/out/${jobArn.split('/')[1]}/catalog.jsonl.out`);
    const results = parseBatchOutput(textOf(store, job.output.file));
    expect(results.map((result) => result.recordId)).toEqual(['item-1', 'item-2', 'item-3']);
    for (const [index, title] of ['One Piece 108', 'Frieren 13', 'Dandadan 17'].entries()) {
      const result = results[index];
      if (result === undefined || 'error' in result) throw new Error(`item-${index + 1} has no answer`);
      expect(result.text).toContain(title);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result.stopReason).toBe('end_turn');
    }
    expect(JSON.parse(textOf(store, job.output.manifest))).toMatchObject({
      totalRecordCount: 3,
      processedRecordCount: 3,
      successRecordCount: 3,
      errorRecordCount: 0,
    });
  });

  it('emits a state change for each transition, in order, as aws.bedrock on the default bus', async () => {
    const { emulator, store, batch, changes } = await start();
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Blue Lock 30']));

    const jobArn = await batch.submit(jobRequest({ jobName: 'weekly-refresh' }));
    await emulator.batch.settled(jobArn);

    expect(changes.statuses(jobArn)).toEqual([
      'Submitted',
      'Validating',
      'Scheduled',
      'InProgress',
      'Completed',
    ]);
    expect(changes.events.at(-1)).toMatchObject({
      source: 'aws.bedrock',
      detailType: 'Batch Inference Job State Change',
      region: 'ap-northeast-1',
      resources: [jobArn],
      detail: {
        version: '0.0',
        accountId: '000000000000',
        batchJobName: 'weekly-refresh',
        batchJobArn: jobArn,
        batchModelId: `arn:aws:bedrock:ap-northeast-1::foundation-model/${modelIds.haiku}`,
        status: 'Completed',
        failureMessage: '',
        creationTime: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/),
      },
    });
  });

  it('delivers the changes in order even to a listener that takes its time', async () => {
    const seen: string[] = [];
    const { emulator, store, batch } = await start({
      onStateChange: async (event) => {
        // The first changes take longest: an unordered delivery would finish them last.
        await new Promise((resolve) => setTimeout(resolve, event.detail.status === 'Submitted' ? 30 : 1));
        seen.push(event.detail.status);
      },
    });
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Kagurabachi 5']));

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);

    expect(seen).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed']);
  });

  it('writes an error line for a faulted record and ends PartiallyCompleted', async () => {
    const { emulator, store, batch } = await start();
    await store.put(
      'catalog-batch',
      'in/catalog.jsonl',
      catalogInput(['One Piece 108', 'Frieren 13', 'Dandadan 17']),
    );
    emulator.faults.add({ match: 'Frieren', error: 'ModelErrorException' });

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);
    const job = await batch.describe(jobArn);
    const results = parseBatchOutput(textOf(store, job.output.file));

    expect(job).toMatchObject({
      status: 'PartiallyCompleted',
      message: '1 of 3 records failed.',
      records: { total: 3, processed: 3, succeeded: 2, failed: 1 },
    });
    expect(results[1]).toEqual({
      recordId: 'item-2',
      error: { code: '424', message: expect.stringContaining('The model failed to process the request') },
    });
    expect(results.filter((result) => !('error' in result))).toHaveLength(2);
  });

  it('answers a record with the matching script, as InvokeModel would', async () => {
    const { emulator, store, batch } = await start();
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Chainsaw Man 19']));
    emulator.scripts.add({ match: 'Chainsaw Man', text: 'Denji is back in volume 19.' });

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);
    const [result] = parseBatchOutput(textOf(store, (await batch.describe(jobArn)).output.file));

    expect(result).toMatchObject({ recordId: 'item-1', text: 'Denji is back in volume 19.' });
  });

  it('gives a record whose body the model cannot read a 400 error line; with none answered the job Fails', async () => {
    const { emulator, store, batch } = await start();
    const withoutMaxTokens = {
      recordId: 'bad-1',
      modelInput: { anthropic_version: 'bedrock-2023-05-31', messages: [] },
    };
    await store.put('catalog-batch', 'in/catalog.jsonl', jsonl([withoutMaxTokens]));

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);
    const job = await batch.describe(jobArn);

    expect(job).toMatchObject({
      status: 'Failed',
      message: 'All 1 records failed; the error of each is in the output file.',
    });
    expect(parseBatchOutput(textOf(store, job.output.file))).toEqual([
      {
        recordId: 'bad-1',
        error: { code: '400', message: expect.stringMatching(/^Malformed input request/) },
      },
    ]);
  });

  it.each([
    [
      'a line that is not JSON',
      '{"recordId":"a","modelInput":{}}\n{not json\n',
      /^Line 2 of s3:\/\/catalog-batch\/in\/catalog.jsonl is not valid JSON/,
    ],
    ['a line without modelInput', '{"recordId":"a"}\n', /^Line 1 of .* has no modelInput object\.$/],
    ['an empty file', '\n\n', /contains no records\.$/],
  ])('fails the job, writing nothing, for %s', async (_, content, message) => {
    const { emulator, store, batch, changes } = await start();
    await store.put('catalog-batch', 'in/catalog.jsonl', new TextEncoder().encode(content));

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);
    const job = await batch.describe(jobArn);

    expect(job.status).toBe('Failed');
    expect(job.message).toMatch(message);
    expect(job.records).toBeUndefined();
    expect(changes.statuses(jobArn)).toEqual(['Submitted', 'Validating', 'Failed']);
    expect(changes.events.at(-1)?.detail.failureMessage).toBe(job.message);
    expect(store.uris()).toEqual(['s3://catalog-batch/in/catalog.jsonl']);
  });

  it('fails the job when the input file does not exist', async () => {
    const { emulator, batch } = await start();

    const jobArn = await batch.submit(jobRequest({ inputUri: 's3://catalog-batch/in/missing.jsonl' }));
    await emulator.batch.settled(jobArn);

    expect(await batch.describe(jobArn)).toMatchObject({
      status: 'Failed',
      message: 'The input file s3://catalog-batch/in/missing.jsonl does not exist.',
    });
  });

  it('fails a job holding more records than allowed per job', async () => {
    const { emulator, store, batch } = await start({ maxRecordsPerJob: 2 });
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['a', 'b', 'c']));

    const jobArn = await batch.submit(jobRequest());
    await emulator.batch.settled(jobArn);

    expect((await batch.describe(jobArn)).message).toMatch(
      /has more than 2 records, the most a batch inference job may hold/,
    );
  });

  it('stops a job in progress: Stopping, then Stopped, with the unanswered records left out', async () => {
    const { emulator, store, batch, changes } = await start();
    await store.put(
      'catalog-batch',
      'in/catalog.jsonl',
      catalogInput(['Sakamoto Days 20', 'Kaiju No. 8 15']),
    );
    emulator.faults.add({ match: 'shop blurb', ttftMs: 60_000 });

    const jobArn = await batch.submit(jobRequest());
    await vi.waitFor(() => expect(changes.statuses(jobArn)).toContain('InProgress'), { timeout: 5_000 });
    await batch.stop(jobArn);
    await emulator.batch.settled(jobArn);
    const job = await batch.describe(jobArn);

    expect(changes.statuses(jobArn)).toEqual([
      'Submitted',
      'Validating',
      'Scheduled',
      'InProgress',
      'Stopping',
      'Stopped',
    ]);
    expect(job).toMatchObject({ status: 'Stopped', records: { total: 2, processed: 0 } });
    expect(job.endedAt).toBeInstanceOf(Date);
    expect(textOf(store, job.output.file)).toBe('');
    expect(JSON.parse(textOf(store, job.output.manifest))).toMatchObject({
      totalRecordCount: 2,
      processedRecordCount: 0,
    });
  });

  it('names the status a job is stuck in when it does not end in time, rather than hanging', async () => {
    const { emulator, store, batch } = await start();
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Oshi no Ko 16']));
    emulator.faults.add({ ttftMs: 60_000 });

    const jobArn = await batch.submit(jobRequest());

    await expect(emulator.batch.settled(jobArn, { timeoutMs: 100 })).rejects.toThrow(
      /did not end within 100 ms: it is InProgress \(0 of 1 records answered\)/,
    );
    await expect(
      emulator.batch.settled('arn:aws:bedrock:ap-northeast-1:000000000000:model-invocation-job/nosuchjob123'),
    ).rejects.toThrow(/has no batch inference job/);
  });
});

describe('listing jobs through the adapter', () => {
  it('finds the jobs a name and a submission time select, newest first', async () => {
    const { emulator, store, batch } = await start();
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Kaiju No. 8 12']));
    const before = new Date(Date.now() - 1_000);
    const first = await batch.submit(jobRequest({ jobName: 'reenrich-a' }));
    const second = await batch.submit(jobRequest({ jobName: 'reenrich-b' }));
    const other = await batch.submit(jobRequest({ jobName: 'weekly-digest' }));
    await Promise.all([first, second, other].map((arn) => emulator.batch.settled(arn)));

    const listed = await batch.list({ nameContains: 'reenrich-', submittedAfter: before });
    const later = await batch.list({ submittedAfter: new Date(Date.now() + 60_000) });

    expect(listed.map((job) => [job.jobName, job.status])).toEqual([
      ['reenrich-b', 'Completed'],
      ['reenrich-a', 'Completed'],
    ]);
    expect(listed[0]?.output.file).toBe((await batch.describe(second)).output.file);
    expect(later).toEqual([]);
  });
});

describe('the adapter’s errors against the emulator', () => {
  it('submits once per clientRequestToken', async () => {
    const { emulator, store, batch } = await start();
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Haikyu 45']));
    const request = jobRequest({ clientRequestToken: 'catalog-2025-04-01' });

    const first = await batch.submit(request);
    const retried = await batch.submit(request);

    expect(retried).toBe(first);
    await emulator.batch.settled(first);
    expect(emulator.batch.list()).toHaveLength(1);
  });

  it('rejects a bad request with BatchValidationError, naming the field', async () => {
    const { batch } = await start();

    const submitting = batch.submit(jobRequest({ jobName: 'no spaces allowed' }));

    await expect(submitting).rejects.toBeInstanceOf(BatchValidationError);
    await expect(submitting).rejects.toThrow(/at 'jobName' failed to satisfy constraint/);
  });

  it('rejects describing an unknown job with BatchJobNotFoundError', async () => {
    const { batch } = await start();

    await expect(
      batch.describe('arn:aws:bedrock:ap-northeast-1:000000000000:model-invocation-job/abcdefghijkl'),
    ).rejects.toBeInstanceOf(BatchJobNotFoundError);
  });

  it('rejects a submission past the active-job quota with a retryable BatchQuotaExceededError', async () => {
    const { emulator, store, batch } = await start({ maxActiveJobs: 1 });
    await store.put('catalog-batch', 'in/catalog.jsonl', catalogInput(['Vagabond 37']));
    emulator.faults.add({ ttftMs: 60_000 });
    await batch.submit(jobRequest());

    const submitting = batch.submit(jobRequest());

    await expect(submitting).rejects.toBeInstanceOf(BatchQuotaExceededError);
    await expect(submitting).rejects.toMatchObject({
      retryable: true,
      code: 'ServiceQuotaExceededException',
    });
  });
});
