/**
 * The batch-inference port: hand a JSONL file of prompts in object storage to the model provider,
 * let it answer every record asynchronously, and find the answers afterwards. Whole-catalog
 * re-enrichment uses it instead of one on-demand call per item. The Bedrock adapter lives on
 * `@mangaassist/fm-gateway/bedrock-batch`; this module never sees an SDK type.
 */

/** Every status a Bedrock batch inference job reports, in roughly the order a job passes them. */
export const batchJobStatuses = [
  'Submitted',
  'Validating',
  'Scheduled',
  'InProgress',
  'Stopping',
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
] as const;

/**
 * A job's status. `Unknown` stands for a status this code does not know yet; it is not terminal,
 * so a caller keeps waiting for the state change that follows.
 */
export type BatchJobStatus = (typeof batchJobStatuses)[number] | 'Unknown';

const terminalStatuses: ReadonlySet<BatchJobStatus> = new Set([
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
]);

/** True once a job can change no more: its output, if any, is final. */
export function isTerminalBatchStatus(status: BatchJobStatus): boolean {
  return terminalStatuses.has(status);
}

/** Maps a reported status onto `BatchJobStatus` (`Unknown` for one added after this code). */
export function toBatchJobStatus(reported: string | undefined): BatchJobStatus {
  return batchJobStatuses.find((status) => status === reported) ?? 'Unknown';
}

export interface BatchJobRequest {
  /** 1–63 characters: letters, digits, then also `+`, `-` and `.`. */
  readonly jobName: string;
  /** A model id or inference-profile id; the records must be in this model's native body. */
  readonly modelId: string;
  /** `s3://bucket/key.jsonl`: one JSONL file of `{recordId, modelInput}` lines. */
  readonly inputUri: string;
  /** `s3://bucket/prefix/`: the job writes under `<outputUri>/<job id>/`. */
  readonly outputUri: string;
  /** The service role the provider assumes to read the input and write the output. */
  readonly roleArn: string;
  /**
   * Makes the submission idempotent: the same token returns the job it first created, so a retried
   * submission (a Lambda retry, a redelivered message) never starts a second job. Letters, digits
   * and hyphens, at most 256 characters.
   */
  readonly clientRequestToken: string;
  /** Hours after which the provider gives up on the job (24–168). @default 168 (the service's) */
  readonly timeoutHours?: number;
}

/** Where a job writes: one `.out` file per input file, and a manifest with the record counts. */
export interface BatchOutputLocation {
  /** `s3://bucket/prefix/<job id>/` */
  readonly prefix: string;
  /** `s3://bucket/prefix/<job id>/<input file name>.out`; absent when the input is a folder. */
  readonly file?: string;
  /** `s3://bucket/prefix/<job id>/manifest.json.out` */
  readonly manifest: string;
}

export interface BatchRecordCounts {
  readonly total: number;
  readonly processed: number;
  readonly succeeded: number;
  readonly failed: number;
}

export interface BatchJobDescription {
  readonly jobArn: string;
  readonly jobName: string;
  readonly modelId: string;
  readonly status: BatchJobStatus;
  /** Why the job failed or stopped, as the provider words it. */
  readonly message?: string;
  readonly inputUri: string;
  readonly outputUri: string;
  readonly output: BatchOutputLocation;
  readonly submittedAt?: Date;
  readonly endedAt?: Date;
  /** Record counts, once the provider reports them. */
  readonly records?: BatchRecordCounts;
}

/** Which jobs `list` answers; every field narrows. */
export interface BatchJobFilter {
  /** Jobs whose name contains this. */
  readonly nameContains?: string;
  /** Jobs submitted after this moment. */
  readonly submittedAfter?: Date;
}

/** Submits, describes, lists and stops batch inference jobs. Rejects with a `BatchInferenceError`. */
export interface BatchInference {
  /** Starts a job (or finds the one `clientRequestToken` already started) and returns its ARN. */
  submit(request: BatchJobRequest, signal?: AbortSignal): Promise<string>;
  describe(jobArn: string, signal?: AbortSignal): Promise<BatchJobDescription>;
  /** Every job the filter selects, newest first (all pages). */
  list(filter: BatchJobFilter, signal?: AbortSignal): Promise<BatchJobDescription[]>;
  /** Asks a job to stop; it passes `Stopping` and ends `Stopped`. Rejects for a job already over. */
  stop(jobArn: string, signal?: AbortSignal): Promise<void>;
}
