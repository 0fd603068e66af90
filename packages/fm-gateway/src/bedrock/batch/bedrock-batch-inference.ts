import {
  type BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  type ModelInvocationJobSummary,
  StopModelInvocationJobCommand,
} from '@aws-sdk/client-bedrock';
import {
  BatchAccessDeniedError,
  BatchInferenceError,
  BatchJobNotFoundError,
  BatchQuotaExceededError,
  BatchThrottledError,
  BatchValidationError,
} from '../../batch/batch-errors.js';
import {
  type BatchInference,
  type BatchJobDescription,
  type BatchJobFilter,
  type BatchJobRequest,
  toBatchJobStatus,
} from '../../batch/batch-inference.js';
import { classifyModelError } from '../../runtime/model-errors.js';
import { batchOutputLocation } from './batch-output-location.js';

/**
 * Bedrock batch inference (CreateModelInvocationJob and friends, the `bedrock` control plane)
 * behind the batch-inference port. Jobs run InvokeModel bodies (`batchInputRecord`) from one JSONL
 * object in S3. Give it a `BedrockClient` for the region the jobs run in; the SDK's own retries
 * apply (the control plane is not on a latency-critical path).
 *
 * Every rejection is a `BatchInferenceError` (see `toBatchInferenceError`), except an abort
 * through `signal`, which rejects with the SDK's abort error.
 *
 * @example
 * const batch = new BedrockBatchInference(new BedrockClient({ region: 'ap-northeast-1' }));
 * const jobArn = await batch.submit({
 *   jobName: 'catalog-2025-04-01',
 *   modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
 *   inputUri: 's3://catalog-batch/in/2025-04-01.jsonl',
 *   outputUri: 's3://catalog-batch/out/',
 *   roleArn: 'arn:aws:iam::123456789012:role/catalog-batch',
 *   clientRequestToken: 'catalog-2025-04-01',
 * });
 */
export class BedrockBatchInference implements BatchInference {
  constructor(private readonly client: BedrockClient) {}

  async submit(request: BatchJobRequest, signal?: AbortSignal): Promise<string> {
    const output = await call(() =>
      this.client.send(
        new CreateModelInvocationJobCommand({
          jobName: request.jobName,
          modelId: request.modelId,
          roleArn: request.roleArn,
          clientRequestToken: request.clientRequestToken,
          inputDataConfig: { s3InputDataConfig: { s3Uri: request.inputUri, s3InputFormat: 'JSONL' } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: request.outputUri } },
          ...(request.timeoutHours !== undefined ? { timeoutDurationInHours: request.timeoutHours } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    if (!output.jobArn) throw invalidResponse('CreateModelInvocationJob answered without a jobArn.');
    return output.jobArn;
  }

  async describe(jobArn: string, signal?: AbortSignal): Promise<BatchJobDescription> {
    const job = await call(() =>
      this.client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }), { abortSignal: signal }),
    );
    return toDescription(jobArn, job);
  }

  async list(filter: BatchJobFilter, signal?: AbortSignal): Promise<BatchJobDescription[]> {
    const jobs: BatchJobDescription[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call(() =>
        this.client.send(
          new ListModelInvocationJobsCommand({
            ...(filter.nameContains !== undefined ? { nameContains: filter.nameContains } : {}),
            ...(filter.submittedAfter !== undefined ? { submitTimeAfter: filter.submittedAfter } : {}),
            sortBy: 'CreationTime',
            sortOrder: 'Descending',
            maxResults: 1000,
            ...(nextToken !== undefined ? { nextToken } : {}),
          }),
          { abortSignal: signal },
        ),
      );
      for (const job of page.invocationJobSummaries ?? []) {
        if (!job.jobArn) throw invalidResponse('ListModelInvocationJobs answered a job without a jobArn.');
        jobs.push(toDescription(job.jobArn, job));
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return jobs;
  }

  async stop(jobArn: string, signal?: AbortSignal): Promise<void> {
    await call(() =>
      this.client.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }), { abortSignal: signal }),
    );
  }
}

/** GetModelInvocationJob's answer or one of ListModelInvocationJobs': the fields a description reads. */
type JobFields = Partial<Omit<ModelInvocationJobSummary, 'status'>> & {
  readonly status?: string | undefined;
};

function toDescription(requestedArn: string, job: JobFields): BatchJobDescription {
  const jobArn = job.jobArn ?? requestedArn;
  const inputUri = job.inputDataConfig?.s3InputDataConfig?.s3Uri ?? '';
  const outputUri = job.outputDataConfig?.s3OutputDataConfig?.s3Uri ?? '';
  const { totalRecordCount, processedRecordCount, successRecordCount, errorRecordCount } = job;
  return {
    jobArn,
    jobName: job.jobName ?? '',
    modelId: job.modelId ?? '',
    status: toBatchJobStatus(job.status),
    ...(job.message ? { message: job.message } : {}),
    inputUri,
    outputUri,
    output: batchOutputLocation({ jobArn, inputUri, outputUri }),
    ...(job.submitTime ? { submittedAt: job.submitTime } : {}),
    ...(job.endTime ? { endedAt: job.endTime } : {}),
    ...(totalRecordCount !== undefined
      ? {
          records: {
            total: totalRecordCount,
            processed: processedRecordCount ?? 0,
            succeeded: successRecordCount ?? 0,
            failed: errorRecordCount ?? 0,
          },
        }
      : {}),
  };
}

async function call<Output>(send: () => Promise<Output>): Promise<Output> {
  try {
    return await send();
  } catch (error) {
    if (classifyModelError(error).kind === 'aborted') throw error;
    throw toBatchInferenceError(error);
  }
}

function invalidResponse(message: string): BatchInferenceError {
  return new BatchInferenceError(message, { code: 'InvalidResponse', retryable: false });
}

/**
 * Maps anything the Bedrock control plane client throws onto the port's typed errors:
 * ValidationException → `BatchValidationError`, ServiceQuotaExceededException →
 * `BatchQuotaExceededError`, ThrottlingException (and TooManyRequestsException) →
 * `BatchThrottledError`, AccessDeniedException → `BatchAccessDeniedError`,
 * ResourceNotFoundException → `BatchJobNotFoundError`; anything else (a 5xx, a network fault, a
 * conflict) → `BatchInferenceError` carrying its name and whether a retry may help. The original
 * error is the `cause`. Never throws.
 */
export function toBatchInferenceError(error: unknown): BatchInferenceError {
  if (error instanceof BatchInferenceError) return error;
  const { code, message, retryable } = classifyModelError(error);
  switch (code) {
    case 'ValidationException':
      return new BatchValidationError(message, error);
    case 'ServiceQuotaExceededException':
      return new BatchQuotaExceededError(message, error);
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return new BatchThrottledError(message, error);
    case 'AccessDeniedException':
      return new BatchAccessDeniedError(message, error);
    case 'ResourceNotFoundException':
      return new BatchJobNotFoundError(message, error);
    default:
      return new BatchInferenceError(message, { code, retryable, cause: error });
  }
}
