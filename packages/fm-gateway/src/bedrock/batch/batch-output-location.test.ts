import { describe, expect, it } from 'vitest';
import { batchJobId, batchOutputLocation } from './batch-output-location.js';

const jobArn = 'arn:aws:bedrock:ap-northeast-1:123456789012:model-invocation-job/abcd1234wxyz';

describe('batchOutputLocation', () => {
  it('puts the input file’s .out and the manifest under <output>/<job id>/', () => {
    expect(
      batchOutputLocation({
        jobArn,
        inputUri: 's3://in-bucket/catalog/2025-04-01.jsonl',
        outputUri: 's3://out-bucket/runs',
      }),
    ).toEqual({
      prefix: 's3://out-bucket/runs/abcd1234wxyz/',
      file: 's3://out-bucket/runs/abcd1234wxyz/2025-04-01.jsonl.out',
      manifest: 's3://out-bucket/runs/abcd1234wxyz/manifest.json.out',
    });
  });

  it('gives the same keys for an output URI with a trailing slash', () => {
    const withSlash = batchOutputLocation({ jobArn, inputUri: 's3://b/in.jsonl', outputUri: 's3://b/out/' });
    const without = batchOutputLocation({ jobArn, inputUri: 's3://b/in.jsonl', outputUri: 's3://b/out' });

    expect(withSlash).toEqual(without);
  });

  it('has no single output file for a folder of input files', () => {
    expect(
      batchOutputLocation({ jobArn, inputUri: 's3://b/in/', outputUri: 's3://b/out/' }),
    ).not.toHaveProperty('file');
    expect(batchOutputLocation({ jobArn, inputUri: 's3://b', outputUri: 's3://b/out/' })).not.toHaveProperty(
      'file',
    );
  });
});

describe('batchJobId', () => {
  it('is the 12 characters after model-invocation-job/', () => {
    expect(batchJobId(jobArn)).toBe('abcd1234wxyz');
  });

  it('refuses an ARN of another resource', () => {
    expect(() =>
      batchJobId('arn:aws:bedrock:ap-northeast-1:123456789012:evaluation-job/abcd1234wxyz'),
    ).toThrow(TypeError);
  });
});
