import { createFakeClock, recordingLogger } from '@mangaassist/commons/testing';
import type { BatchJobDescription, BatchJobFilter } from '@mangaassist/fm-gateway/batch';
import { describe, expect, it } from 'vitest';
import { makeBatchCompletion, type TaskCallbacks, TaskTokenGoneError } from './batch-completion.js';
import { batchJobName, reenrichmentKeys } from './reenrichment-objects.js';
import type { ReenrichmentObjects } from './reenrichment-steps.js';
import { reenrichmentTimeoutHours } from './reenrichment-workflow.js';

const run = 'reenrich-2026-12-07';
const jobName = batchJobName('test', run);
const jobArn = 'arn:aws:bedrock:ap-northeast-1:000000000000:model-invocation-job/abc123def456';
const outputFile = 's3://docs/reenrichment/reenrich-2026-12-07/batch/output/abc123def456/input.jsonl.out';

function stateChange(status: string, overrides: Record<string, unknown> = {}) {
  return {
    source: 'aws.bedrock',
    'detail-type': 'Batch Inference Job State Change',
    detail: { batchJobName: jobName, batchJobArn: jobArn, status, failureMessage: '', ...overrides },
  };
}

interface SetupOptions {
  /** Every callback rejects with it. */
  readonly callbacksFail?: Error;
  /** Further job names with the same token recorded. */
  readonly alsoRecorded?: readonly string[];
  readonly output?: { file?: string };
  /** What `list` answers. */
  readonly listed?: readonly BatchJobDescription[];
  /** Every write of a record rejects with it. */
  readonly putFails?: Error;
}

const now = Date.parse('2026-12-07T12:00:00Z');

function description(overrides: Partial<BatchJobDescription> = {}): BatchJobDescription {
  return {
    jobArn,
    jobName,
    modelId: 'm',
    status: 'Completed',
    inputUri: 's3://docs/in.jsonl',
    outputUri: 's3://docs/out/',
    output: {
      prefix: 's3://docs/out/abc/',
      file: outputFile,
      manifest: 's3://docs/out/abc/manifest.json.out',
    },
    records: { total: 3, processed: 3, succeeded: 3, failed: 0 },
    ...overrides,
  };
}

function setup(options: SetupOptions = {}) {
  const token = new TextEncoder().encode(JSON.stringify({ task_token: 'token-1', run_id: run }));
  const stored = new Map<string, Uint8Array>(
    [jobName, ...(options.alsoRecorded ?? [])].map((name) => [reenrichmentKeys.batchTask(name), token]),
  );
  const objects: Pick<ReenrichmentObjects, 'get' | 'put'> = {
    get: async (key) => stored.get(key),
    put: async (key, body) => {
      if (options.putFails) throw options.putFails;
      stored.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
    },
  };
  const completed: { token: string; output?: unknown; error?: string; cause?: string }[] = [];
  const callbacks: TaskCallbacks = {
    succeed: async (token, output) => {
      if (options.callbacksFail) throw options.callbacksFail;
      completed.push({ token, output });
    },
    fail: async (token, error, cause) => {
      if (options.callbacksFail) throw options.callbacksFail;
      completed.push({ token, error, cause });
    },
  };
  const { output = { file: outputFile } } = options;
  const described = description({
    output: {
      prefix: 's3://docs/out/abc/',
      ...(output.file === undefined ? {} : { file: output.file }),
      manifest: 's3://docs/out/abc/manifest.json.out',
    },
  });
  const filters: BatchJobFilter[] = [];
  const logger = recordingLogger();
  const complete = makeBatchCompletion({
    objects,
    batch: {
      describe: async () => described,
      list: async (filter) => {
        filters.push(filter);
        return [...(options.listed ?? [])];
      },
    },
    callbacks,
    stage: 'test',
    clock: createFakeClock(now),
    logger,
  });
  const read = (key: string) => {
    const body = stored.get(key);
    return body === undefined ? undefined : JSON.parse(new TextDecoder().decode(body));
  };
  /** What the completion marked completed for the job. */
  const marker = (name = jobName) => read(reenrichmentKeys.batchTaskCompleted(name));
  return { complete, completed, logger, filters, marker, objects };
}

const scheduled = {
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  resources: ['arn:aws:events:ap-northeast-1:000000000000:rule/sweep'],
  detail: {},
};

describe('makeBatchCompletion', () => {
  it('succeeds the waiting state with the job’s output file when the job completed, partly or wholly', async () => {
    for (const status of ['Completed', 'PartiallyCompleted']) {
      const { complete, completed } = setup();
      await expect(complete(stateChange(status))).resolves.toBe('succeeded');
      expect(completed).toEqual([
        {
          token: 'token-1',
          output: {
            status,
            job_arn: jobArn,
            output_file: outputFile,
            records: { total: 3, processed: 3, succeeded: 3, failed: 0 },
          },
        },
      ]);
    }
  });

  it('fails it with BatchJobFailed, with the reason, when the job failed, stopped or expired', async () => {
    for (const status of ['Failed', 'Stopped', 'Expired']) {
      const { complete, completed } = setup();
      await expect(complete(stateChange(status, { failureMessage: 'role cannot read input' }))).resolves.toBe(
        'failed',
      );
      expect(completed).toEqual([
        {
          token: 'token-1',
          error: 'BatchJobFailed',
          cause: `${jobName} ended ${status}: role cannot read input`,
        },
      ]);
    }
  });

  it('ignores a status that is not final, another stage’s job, an unrecorded job and anything else', async () => {
    const { complete, completed } = setup();
    for (const event of [
      stateChange('InProgress'),
      stateChange('Completed', { batchJobName: batchJobName('prod', run) }),
      stateChange('Completed', { batchJobName: batchJobName('test', 'another-run') }),
      { source: 'aws.bedrock', 'detail-type': 'Model Invocation Job State Change', detail: {} },
      'not an event',
    ]) {
      await expect(complete(event)).resolves.toBe('ignored');
    }
    expect(completed).toEqual([]);
  });

  it('ignores a job named for another stage even when its token is recorded', async () => {
    const other = batchJobName('prod', run);
    const { complete, completed } = setup({ alsoRecorded: [other] });
    await expect(complete(stateChange('Completed', { batchJobName: other }))).resolves.toBe('ignored');
    expect(completed).toEqual([]);
  });

  it('fails the state when a completed job reports no output file', async () => {
    const { complete, completed } = setup({ output: {} });
    await expect(complete(stateChange('Completed'))).resolves.toBe('failed');
    expect(completed).toEqual([
      { token: 'token-1', error: 'BatchJobFailed', cause: `${jobName} wrote no output file` },
    ]);
  });

  it('takes a token completed already as done (a redelivered change), and rejects on any other failure', async () => {
    await expect(
      setup({ callbacksFail: new TaskTokenGoneError('TaskDoesNotExist') }).complete(stateChange('Completed')),
    ).resolves.toBe('already-completed');
    await expect(
      setup({ callbacksFail: new Error('ThrottlingException') }).complete(stateChange('Failed')),
    ).rejects.toThrow('ThrottlingException');
  });

  it('marks the token completed, so that a change delivered again completes nothing', async () => {
    const { complete, completed, marker } = setup();
    await complete(stateChange('Completed'));

    await expect(complete(stateChange('Completed'))).resolves.toBe('already-completed');
    expect(completed).toHaveLength(1);
    expect(marker()).toEqual({ task_token: 'token-1', completed_at: new Date(now).toISOString() });
  });

  it('completes a newer token recorded for the same job after an older one was marked', async () => {
    const { complete, completed, objects } = setup();
    await complete(stateChange('Failed'));
    // A retried submission recorded a new token for the job.
    await objects.put(
      reenrichmentKeys.batchTask(jobName),
      JSON.stringify({ task_token: 'token-2', run_id: run }),
    );

    await expect(complete(stateChange('Failed'))).resolves.toBe('failed');
    expect(completed.map((entry) => entry.token)).toEqual(['token-1', 'token-2']);
  });

  it('still answers for the state when the token cannot be marked, and says so', async () => {
    const { complete, completed, logger } = setup({ putFails: new Error('SlowDown') });
    await expect(complete(stateChange('Failed'))).resolves.toBe('failed');
    expect(completed).toHaveLength(1);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'batch completion: the task could not be marked completed',
      }),
    );
  });
});

describe('the sweep (a scheduled event)', () => {
  it('completes the waiting states of ended jobs whose state change never came', async () => {
    const stopped = batchJobName('test', 'run-stopped');
    const { complete, completed, filters, marker } = setup({
      alsoRecorded: [stopped],
      listed: [
        description(),
        description({
          jobName: stopped,
          jobArn: `${jobArn}-2`,
          status: 'Stopped',
          message: 'user stopped it',
        }),
      ],
    });

    await expect(complete(scheduled)).resolves.toEqual({ jobs: 2, running: 0, completed: 2 });

    expect(completed).toEqual([
      {
        token: 'token-1',
        output: {
          status: 'Completed',
          job_arn: jobArn,
          output_file: outputFile,
          records: { total: 3, processed: 3, succeeded: 3, failed: 0 },
        },
      },
      { token: 'token-1', error: 'BatchJobFailed', cause: `${stopped} ended Stopped: user stopped it` },
    ]);
    expect(marker(stopped)).toHaveProperty('completed_at');
    expect(filters).toEqual([
      {
        nameContains: 'mangaassist-test-reenrich-',
        submittedAfter: new Date(now - reenrichmentTimeoutHours * 3_600_000),
      },
    ]);
  });

  it('leaves running jobs, jobs completed already, unrecorded jobs and other names alone', async () => {
    const { complete, completed } = setup({
      listed: [
        description({ status: 'InProgress' }),
        description({ jobName: batchJobName('test', 'nobody-waits') }),
        description({ jobName: `copy-of-${jobName}` }),
      ],
    });
    await expect(complete(scheduled)).resolves.toEqual({ jobs: 2, running: 1, completed: 0 });
    expect(completed).toEqual([]);

    const marked = setup({ listed: [description()] });
    await marked.complete(stateChange('Completed'));
    await expect(marked.complete(scheduled)).resolves.toEqual({ jobs: 1, running: 0, completed: 0 });
    expect(marked.completed).toHaveLength(1);
  });

  it('tries every ended job before rejecting with the ones that failed', async () => {
    const second = batchJobName('test', 'run-2');
    const { complete, logger } = setup({
      alsoRecorded: [second],
      callbacksFail: new Error('ThrottlingException'),
      listed: [description(), description({ jobName: second, status: 'Failed' })],
    });

    const sweeping = complete(scheduled);

    await expect(sweeping).rejects.toBeInstanceOf(AggregateError);
    await expect(sweeping).rejects.toMatchObject({
      message: '2 of 2 ended batch jobs could not be completed',
      errors: [expect.objectContaining({ message: 'ThrottlingException' }), expect.anything()],
    });
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(2);
  });
});
