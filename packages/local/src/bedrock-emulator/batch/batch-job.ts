import type { BatchJobStatus, CreateJobInput } from './batch-request.js';

/** Bedrock's default job timeout, in hours, when the request sets none. */
export const defaultTimeoutHours = 168;

const terminal: ReadonlySet<BatchJobStatus> = new Set([
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
]);

export function isTerminal(status: BatchJobStatus): boolean {
  return terminal.has(status);
}

export interface RecordCounts {
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
}

/** One job as the emulator tracks it; only the job book and its runner change it. */
export interface BatchJob {
  readonly id: string;
  readonly arn: string;
  /** The region the Create request was signed for; the job is visible there only. */
  readonly region: string;
  readonly request: CreateJobInput;
  readonly submitTime: Date;
  status: BatchJobStatus;
  message: string | undefined;
  lastModifiedTime: Date;
  endTime: Date | undefined;
  /** Set once the input has been read. */
  counts: RecordCounts | undefined;
  /** Aborted by StopModelInvocationJob (or the emulator closing). */
  readonly stop: AbortController;
  /** State changes still being delivered, in order. */
  delivery: Promise<void>;
  /** Settles when the job has ended and its last state change has been delivered; never rejects. */
  done: Promise<void>;
}

/** A job as GetModelInvocationJob answers (timestamps as ISO 8601, as the API's JSON has them). */
export interface BatchJobView {
  readonly jobArn: string;
  readonly jobName: string;
  readonly modelId: string;
  readonly clientRequestToken?: string;
  readonly roleArn: string;
  readonly status: BatchJobStatus;
  readonly message?: string;
  readonly submitTime: string;
  readonly lastModifiedTime: string;
  readonly endTime?: string;
  readonly inputDataConfig: CreateJobInput['inputDataConfig'];
  readonly outputDataConfig: CreateJobInput['outputDataConfig'];
  readonly vpcConfig?: CreateJobInput['vpcConfig'];
  readonly timeoutDurationInHours: number;
  readonly jobExpirationTime: string;
  readonly modelInvocationType?: CreateJobInput['modelInvocationType'];
  readonly totalRecordCount?: number;
  readonly processedRecordCount?: number;
  readonly successRecordCount?: number;
  readonly errorRecordCount?: number;
}

export function viewOf(job: BatchJob): BatchJobView {
  const { request, counts } = job;
  const timeoutHours = request.timeoutDurationInHours ?? defaultTimeoutHours;
  return {
    jobArn: job.arn,
    jobName: request.jobName,
    modelId: request.modelId,
    ...(request.clientRequestToken !== undefined ? { clientRequestToken: request.clientRequestToken } : {}),
    roleArn: request.roleArn,
    status: job.status,
    ...(job.message !== undefined ? { message: job.message } : {}),
    submitTime: job.submitTime.toISOString(),
    lastModifiedTime: job.lastModifiedTime.toISOString(),
    ...(job.endTime !== undefined ? { endTime: job.endTime.toISOString() } : {}),
    inputDataConfig: request.inputDataConfig,
    outputDataConfig: request.outputDataConfig,
    ...(request.vpcConfig !== undefined ? { vpcConfig: request.vpcConfig } : {}),
    timeoutDurationInHours: timeoutHours,
    jobExpirationTime: new Date(job.submitTime.getTime() + timeoutHours * 3_600_000).toISOString(),
    ...(request.modelInvocationType !== undefined
      ? { modelInvocationType: request.modelInvocationType }
      : {}),
    ...(counts !== undefined
      ? {
          totalRecordCount: counts.total,
          processedRecordCount: counts.processed,
          successRecordCount: counts.succeeded,
          errorRecordCount: counts.failed,
        }
      : {}),
  };
}
