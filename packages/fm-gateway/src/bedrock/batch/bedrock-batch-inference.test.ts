import {
  AccessDeniedException,
  BedrockClient,
  BedrockServiceException,
  ConflictException,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  InternalServerException,
  ListModelInvocationJobsCommand,
  type ModelInvocationJobSummary,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StopModelInvocationJobCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BatchAccessDeniedError,
  BatchInferenceError,
  BatchJobNotFoundError,
  BatchQuotaExceededError,
  BatchThrottledError,
  BatchValidationError,
} from '../../batch/batch-errors.js';
import type { BatchJobRequest } from '../../batch/batch-inference.js';
import { BedrockBatchInference, toBatchInferenceError } from './bedrock-batch-inference.js';

const bedrock = mockClient(BedrockClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => bedrock.restore());

const jobArn = 'arn:aws:bedrock:ap-northeast-1:123456789012:model-invocation-job/abcd1234wxyz';

function jobRequest(overrides: Partial<BatchJobRequest> = {}): BatchJobRequest {
  return {
    jobName: 'catalog-2025-04-01',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    inputUri: 's3://catalog-batch/in/2025-04-01.jsonl',
    outputUri: 's3://catalog-batch/out/',
    roleArn: 'arn:aws:iam::123456789012:role/catalog-batch',
    clientRequestToken: 'catalog-2025-04-01',
    ...overrides,
  };
}

function getJobOutput(
  overrides: Partial<GetModelInvocationJobCommandOutput> = {},
): GetModelInvocationJobCommandOutput {
  return {
    $metadata: {},
    jobArn,
    jobName: 'catalog-2025-04-01',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    roleArn: 'arn:aws:iam::123456789012:role/catalog-batch',
    status: 'PartiallyCompleted',
    message: '2 of 1000 records failed.',
    submitTime: new Date('2025-04-01T00:00:00Z'),
    endTime: new Date('2025-04-01T03:00:00Z'),
    inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://catalog-batch/in/2025-04-01.jsonl' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://catalog-batch/out/' } },
    totalRecordCount: 1000,
    processedRecordCount: 1000,
    successRecordCount: 998,
    errorRecordCount: 2,
    ...overrides,
  };
}

/** One of ListModelInvocationJobs' summaries: the same fields as `getJobOutput`'s. */
function jobSummary(overrides: Partial<ModelInvocationJobSummary> = {}): ModelInvocationJobSummary {
  const { $metadata: _metadata, ...job } = getJobOutput();
  return { ...job, jobName: 'catalog-2025-04-01', ...overrides };
}

const batch = () => new BedrockBatchInference(new BedrockClient({ region: 'ap-northeast-1' }));

beforeEach(() => {
  bedrock.reset();
});

describe('BedrockBatchInference', () => {
  describe('submit', () => {
    it('creates a JSONL job from the request and returns its ARN', async () => {
      bedrock.on(CreateModelInvocationJobCommand).resolves({ jobArn });

      const created = await batch().submit(jobRequest({ timeoutHours: 48 }));

      expect(created).toBe(jobArn);
      expect(bedrock).toReceiveCommandWith(CreateModelInvocationJobCommand, {
        jobName: 'catalog-2025-04-01',
        modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
        roleArn: 'arn:aws:iam::123456789012:role/catalog-batch',
        clientRequestToken: 'catalog-2025-04-01',
        inputDataConfig: {
          s3InputDataConfig: { s3Uri: 's3://catalog-batch/in/2025-04-01.jsonl', s3InputFormat: 'JSONL' },
        },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://catalog-batch/out/' } },
        timeoutDurationInHours: 48,
      });
    });

    it('leaves the timeout to the service when the request sets none', async () => {
      bedrock.on(CreateModelInvocationJobCommand).resolves({ jobArn });

      await batch().submit(jobRequest());

      expect(bedrock.commandCalls(CreateModelInvocationJobCommand)[0]?.args[0].input).not.toHaveProperty(
        'timeoutDurationInHours',
      );
    });

    it('rejects an answer without a jobArn instead of returning an empty one', async () => {
      bedrock.on(CreateModelInvocationJobCommand).resolves({});

      await expect(batch().submit(jobRequest())).rejects.toMatchObject({
        name: 'BatchInferenceError',
        code: 'InvalidResponse',
      });
    });

    it('passes the caller’s abort signal to the SDK and rejects with its abort error', async () => {
      const abort = new AbortController();
      const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
      bedrock.on(CreateModelInvocationJobCommand).rejects(aborted);

      await expect(batch().submit(jobRequest(), abort.signal)).rejects.toBe(aborted);
      // The SDK's `send(command, options)`: the mock records both arguments.
      const sendArguments: readonly unknown[] = bedrock.call(0).args;
      expect(sendArguments[1]).toEqual({ abortSignal: abort.signal });
    });
  });

  describe('describe', () => {
    it('reads status, message, times, counts and where the output is', async () => {
      bedrock.on(GetModelInvocationJobCommand, { jobIdentifier: jobArn }).resolves(getJobOutput());

      const job = await batch().describe(jobArn);

      expect(job).toEqual({
        jobArn,
        jobName: 'catalog-2025-04-01',
        modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
        status: 'PartiallyCompleted',
        message: '2 of 1000 records failed.',
        inputUri: 's3://catalog-batch/in/2025-04-01.jsonl',
        outputUri: 's3://catalog-batch/out/',
        output: {
          prefix: 's3://catalog-batch/out/abcd1234wxyz/',
          file: 's3://catalog-batch/out/abcd1234wxyz/2025-04-01.jsonl.out',
          manifest: 's3://catalog-batch/out/abcd1234wxyz/manifest.json.out',
        },
        submittedAt: new Date('2025-04-01T00:00:00Z'),
        endedAt: new Date('2025-04-01T03:00:00Z'),
        records: { total: 1000, processed: 1000, succeeded: 998, failed: 2 },
      });
    });

    it('leaves out what a job just submitted does not report yet', async () => {
      bedrock.on(GetModelInvocationJobCommand).resolves(
        getJobOutput({
          status: 'Submitted',
          message: undefined,
          endTime: undefined,
          totalRecordCount: undefined,
          processedRecordCount: undefined,
          successRecordCount: undefined,
          errorRecordCount: undefined,
        }),
      );

      const job = await batch().describe(jobArn);

      expect(job.status).toBe('Submitted');
      expect(job).not.toHaveProperty('message');
      expect(job).not.toHaveProperty('endedAt');
      expect(job).not.toHaveProperty('records');
    });

    it('reports a status added after this code as Unknown', async () => {
      bedrock.on(GetModelInvocationJobCommand).resolves(Object.assign(getJobOutput(), { status: undefined }));

      expect((await batch().describe(jobArn)).status).toBe('Unknown');
    });
  });

  describe('list', () => {
    it('follows every page with the filter and reads each job as describe does', async () => {
      const secondArn = jobArn.replace('abcd1234wxyz', 'efgh5678stuv');
      const submittedAfter = new Date('2025-03-29T00:00:00Z');
      bedrock
        .on(ListModelInvocationJobsCommand, { nextToken: undefined })
        .resolves({ invocationJobSummaries: [jobSummary()], nextToken: 'page-2' })
        .on(ListModelInvocationJobsCommand, { nextToken: 'page-2' })
        .resolves({ invocationJobSummaries: [jobSummary({ jobArn: secondArn, status: 'InProgress' })] });

      const jobs = await batch().list({ nameContains: 'catalog-', submittedAfter });

      expect(jobs.map((job) => [job.jobArn, job.status])).toEqual([
        [jobArn, 'PartiallyCompleted'],
        [secondArn, 'InProgress'],
      ]);
      expect(jobs[0]?.output.file).toBe('s3://catalog-batch/out/abcd1234wxyz/2025-04-01.jsonl.out');
      const requests = bedrock.commandCalls(ListModelInvocationJobsCommand).map((call) => call.args[0].input);
      expect(requests).toEqual([
        {
          nameContains: 'catalog-',
          submitTimeAfter: submittedAfter,
          sortBy: 'CreationTime',
          sortOrder: 'Descending',
          maxResults: 1000,
        },
        expect.objectContaining({ nameContains: 'catalog-', nextToken: 'page-2' }),
      ]);
    });

    it('sends no filter it was not given and answers no jobs as an empty list', async () => {
      bedrock.on(ListModelInvocationJobsCommand).resolves({});

      await expect(batch().list({})).resolves.toEqual([]);
      const [request] = bedrock
        .commandCalls(ListModelInvocationJobsCommand)
        .map((call) => call.args[0].input);
      expect(request).not.toHaveProperty('nameContains');
      expect(request).not.toHaveProperty('submitTimeAfter');
    });

    it('rejects a listed job without a jobArn and maps a throttle to BatchThrottledError', async () => {
      bedrock.on(ListModelInvocationJobsCommand).resolvesOnce({
        invocationJobSummaries: [jobSummary({ jobArn: undefined })],
      });
      await expect(batch().list({})).rejects.toMatchObject({ code: 'InvalidResponse' });

      bedrock
        .on(ListModelInvocationJobsCommand)
        .rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
      await expect(batch().list({})).rejects.toBeInstanceOf(BatchThrottledError);
    });
  });

  describe('stop', () => {
    it('stops the job by its ARN', async () => {
      bedrock.on(StopModelInvocationJobCommand).resolves({});

      await batch().stop(jobArn);

      expect(bedrock).toReceiveCommandWith(StopModelInvocationJobCommand, { jobIdentifier: jobArn });
    });

    it('rejects stopping a job that has ended with BatchValidationError', async () => {
      bedrock
        .on(StopModelInvocationJobCommand)
        .rejects(new ValidationException({ message: 'Job cannot be stopped', $metadata: {} }));

      await expect(batch().stop(jobArn)).rejects.toBeInstanceOf(BatchValidationError);
    });
  });

  describe('errors', () => {
    it.each([
      [
        'ValidationException',
        new ValidationException({ message: 'bad jobName', $metadata: {} }),
        BatchValidationError,
        false,
      ],
      [
        'ServiceQuotaExceededException',
        new ServiceQuotaExceededException({ message: 'too many jobs', $metadata: {} }),
        BatchQuotaExceededError,
        true,
      ],
      [
        'ThrottlingException',
        new ThrottlingException({ message: 'slow down', $metadata: {} }),
        BatchThrottledError,
        true,
      ],
      [
        'AccessDeniedException',
        new AccessDeniedException({ message: 'no', $metadata: {} }),
        BatchAccessDeniedError,
        false,
      ],
      [
        'ResourceNotFoundException',
        new ResourceNotFoundException({ message: 'no such job', $metadata: {} }),
        BatchJobNotFoundError,
        false,
      ],
    ])('maps %s to its typed error, keeping message and cause', async (code, error, type, retryable) => {
      bedrock.on(CreateModelInvocationJobCommand).rejects(error);

      const submitting = batch().submit(jobRequest());

      await expect(submitting).rejects.toBeInstanceOf(type);
      await expect(submitting).rejects.toMatchObject({
        code,
        retryable,
        message: error.message,
        cause: error,
      });
    });

    it('maps a server fault to a retryable BatchInferenceError and a conflict to a final one', () => {
      const internal = toBatchInferenceError(new InternalServerException({ message: 'oops', $metadata: {} }));
      const conflict = toBatchInferenceError(new ConflictException({ message: 'busy', $metadata: {} }));

      expect(internal).toMatchObject({
        name: 'BatchInferenceError',
        code: 'InternalServerException',
        retryable: true,
      });
      expect(conflict).toMatchObject({
        name: 'BatchInferenceError',
        code: 'ConflictException',
        retryable: false,
      });
    });

    it('maps a network fault and an unmodeled 429 to retryable errors', () => {
      const refused = toBatchInferenceError(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      );
      const tooMany = toBatchInferenceError(
        new BedrockServiceException({
          name: 'TooManyRequestsException',
          $fault: 'client',
          $metadata: { httpStatusCode: 429 },
        }),
      );

      expect(refused).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
      expect(tooMany).toBeInstanceOf(BatchThrottledError);
    });

    it('leaves an error that is already typed as it is', () => {
      const typed = new BatchJobNotFoundError('gone');

      expect(toBatchInferenceError(typed)).toBe(typed);
      expect(typed).toBeInstanceOf(BatchInferenceError);
    });
  });
});
