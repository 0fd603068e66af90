import { describe, expect, it } from 'vitest';
import { EmulatedServiceError } from '../errors.js';
import { parseCreateRequest, parseJobIdentifier, parseListQuery } from './batch-request.js';

function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobName: 'catalog-refresh',
    roleArn: 'arn:aws:iam::123456789012:role/catalog-batch',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://catalog-batch/in/records.jsonl' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://catalog-batch/out/' } },
    ...overrides,
  };
}

function validationMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof EmulatedServiceError && error.errorType === 'ValidationException')
      return error.message;
    throw error;
  }
  throw new Error('expected a ValidationException');
}

describe('parseCreateRequest', () => {
  it('keeps what a valid request sets and nothing it does not', () => {
    expect(
      parseCreateRequest(createBody({ timeoutDurationInHours: 72, clientRequestToken: 'run-1' })),
    ).toEqual({
      ...createBody(),
      timeoutDurationInHours: 72,
      clientRequestToken: 'run-1',
    });
  });

  it('says which required members are missing, one message per member', () => {
    const message = validationMessage(() => parseCreateRequest({ jobName: 'catalog-refresh' }));

    expect(message).toBe(
      "4 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'modelId' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'inputDataConfig' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'outputDataConfig' failed to satisfy constraint: Member must not be null",
    );
  });

  it('checks lengths, ranges and enums', () => {
    const message = validationMessage(() =>
      parseCreateRequest(
        createBody({ jobName: 'a'.repeat(64), timeoutDurationInHours: 169, modelInvocationType: 'Batch' }),
      ),
    );

    expect(message).toMatch(/^3 validation errors detected: /);
    expect(message).toContain('Member must have length less than or equal to 63');
    expect(message).toContain('Member must have value less than or equal to 168');
    expect(message).toContain('Member must satisfy enum value set: [InvokeModel, Converse]');
  });

  it('accepts Bedrock’s job-name characters and refuses a leading hyphen', () => {
    expect(parseCreateRequest(createBody({ jobName: 'refresh-2025.04+jp' })).jobName).toBe(
      'refresh-2025.04+jp',
    );
    expect(validationMessage(() => parseCreateRequest(createBody({ jobName: '-refresh' })))).toContain(
      "Value '-refresh' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
  });

  it('checks a long run of hyphens without catastrophic backtracking', () => {
    const startedAt = performance.now();

    validationMessage(() =>
      parseCreateRequest(
        createBody({ jobName: `a${'-'.repeat(61)}!`, clientRequestToken: `a${'-'.repeat(250)}!` }),
      ),
    );

    expect(performance.now() - startedAt).toBeLessThan(100);
  });
});

describe('parseJobIdentifier', () => {
  it('takes a job ARN or a bare job id', () => {
    const arn = 'arn:aws:bedrock:ap-northeast-1:123456789012:model-invocation-job/abcd1234wxyz';

    expect(parseJobIdentifier(arn)).toEqual({ id: 'abcd1234wxyz', arn });
    expect(parseJobIdentifier('abcd1234wxyz')).toEqual({ id: 'abcd1234wxyz' });
  });

  it('refuses a job name', () => {
    expect(validationMessage(() => parseJobIdentifier('catalog-refresh'))).toMatch(
      /^1 validation error detected: Value 'catalog-refresh' at 'jobIdentifier'/,
    );
  });
});

describe('parseListQuery', () => {
  it('defaults to the newest 1000 jobs', () => {
    expect(parseListQuery(new URLSearchParams())).toEqual({ maxResults: 1000, sortOrder: 'Descending' });
  });

  it('refuses an unknown status, a page size out of range and a bad time', () => {
    const message = validationMessage(() =>
      parseListQuery(
        new URLSearchParams({ statusEquals: 'Done', maxResults: '0', submitTimeAfter: 'yesterday' }),
      ),
    );

    expect(message).toMatch(/^3 validation errors detected: /);
  });
});
