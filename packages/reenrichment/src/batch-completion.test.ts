import { recordingLogger } from '@mangaassist/commons/testing';
import type { BatchJobDescription } from '@mangaassist/fm-gateway/batch';
import { describe, expect, it } from 'vitest';
import { makeBatchCompletion, type TaskCallbacks, TaskTokenGoneError } from './batch-completion.js';
import { batchJobName, reenrichmentKeys } from './reenrichment-objects.js';
import type { ReenrichmentObjects } from './reenrichment-steps.js';

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

function setup(
  callbacksFail?: Error,
  alsoRecorded: readonly string[] = [],
  output: { file?: string } = { file: outputFile },
) {
  const token = new TextEncoder().encode(JSON.stringify({ task_token: 'token-1', run_id: run }));
  const stored = new Map<string, Uint8Array>(
    [jobName, ...alsoRecorded].map((name) => [reenrichmentKeys.batchTask(name), token]),
  );
  const objects: ReenrichmentObjects = { get: async (key) => stored.get(key), put: async () => {} };
  const completed: { token: string; output?: unknown; error?: string; cause?: string }[] = [];
  const callbacks: TaskCallbacks = {
    succeed: async (token, output) => {
      if (callbacksFail) throw callbacksFail;
      completed.push({ token, output });
    },
    fail: async (token, error, cause) => {
      if (callbacksFail) throw callbacksFail;
      completed.push({ token, error, cause });
    },
  };
  const description: BatchJobDescription = {
    jobArn,
    jobName,
    modelId: 'm',
    status: 'Completed',
    inputUri: 's3://docs/in.jsonl',
    outputUri: 's3://docs/out/',
    output: {
      prefix: 's3://docs/out/abc/',
      ...(output.file === undefined ? {} : { file: output.file }),
      manifest: 's3://docs/out/abc/manifest.json.out',
    },
    records: { total: 3, processed: 3, succeeded: 3, failed: 0 },
  };
  const logger = recordingLogger();
  const complete = makeBatchCompletion({
    objects,
    batch: { describe: async () => description },
    callbacks,
    stage: 'test',
    logger,
  });
  return { complete, completed, logger };
}

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
    const { complete, completed } = setup(undefined, [other]);
    await expect(complete(stateChange('Completed', { batchJobName: other }))).resolves.toBe('ignored');
    expect(completed).toEqual([]);
  });

  it('fails the state when a completed job reports no output file', async () => {
    const { complete, completed } = setup(undefined, [], { file: undefined });
    await expect(complete(stateChange('Completed'))).resolves.toBe('failed');
    expect(completed).toEqual([
      { token: 'token-1', error: 'BatchJobFailed', cause: `${jobName} wrote no output file` },
    ]);
  });

  it('takes a token completed already as done (a redelivered change), and rejects on any other failure', async () => {
    await expect(
      setup(new TaskTokenGoneError('TaskDoesNotExist')).complete(stateChange('Completed')),
    ).resolves.toBe('already-completed');
    await expect(setup(new Error('ThrottlingException')).complete(stateChange('Failed'))).rejects.toThrow(
      'ThrottlingException',
    );
  });
});
