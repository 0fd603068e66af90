import type { BatchJobStatus } from './batch-request.js';

export const batchStateChangeSource = 'aws.bedrock';
export const batchStateChangeDetailType = 'Batch Inference Job State Change';

/**
 * The `detail` of Bedrock's "Batch Inference Job State Change" event, field for field as Bedrock
 * documents it. It carries no input or output locations: a consumer that needs them calls
 * GetModelInvocationJob with `batchJobArn`.
 */
export type BatchJobStateChangeDetail = {
  readonly version: '0.0';
  readonly accountId: string;
  readonly batchJobName: string;
  readonly batchJobArn: string;
  /** The model's ARN (a foundation model, or an inference profile for a `jp.`-style id). */
  readonly batchModelId: string;
  readonly status: BatchJobStatus;
  /** Why the job failed or stopped; empty otherwise. */
  readonly failureMessage: string;
  /** When the job was submitted, as Bedrock writes it: `Aug 28, 2024, 10:47:53 PM` (UTC). */
  readonly creationTime: string;
};

/**
 * A state change as EventBridge's default bus receives it from `aws.bedrock`. The fields are those
 * of the local bus's `put` (`source`, `detailType`, `detail`, `time`, `resources`, `region`), so the
 * dev server can hand the event straight on.
 */
export interface BatchJobStateChange {
  readonly source: typeof batchStateChangeSource;
  readonly detailType: typeof batchStateChangeDetailType;
  readonly time: Date;
  readonly region: string;
  /** The job's ARN. */
  readonly resources: readonly string[];
  readonly detail: BatchJobStateChangeDetail;
}

/** Receives each state change of each job, in order; a rejection is logged and does not stop the job. */
export type BatchStateChangeListener = (event: BatchJobStateChange) => void | Promise<void>;

const geographyPrefix = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;

/** The ARN Bedrock reports as `batchModelId` for the id the job was created with. */
export function modelArnOf(modelId: string, region: string, account: string): string {
  if (modelId.startsWith('arn:')) return modelId;
  if (geographyPrefix.test(modelId))
    return `arn:aws:bedrock:${region}:${account}:inference-profile/${modelId}`;
  return `arn:aws:bedrock:${region}::foundation-model/${modelId}`;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Aug 28, 2024, 10:47:53 PM`: how the event writes `creationTime` (in UTC). */
export function eventCreationTime(time: Date): string {
  const hours = time.getUTCHours();
  const twoDigits = (value: number) => String(value).padStart(2, '0');
  return (
    `${months[time.getUTCMonth()]} ${time.getUTCDate()}, ${time.getUTCFullYear()}, ` +
    `${hours % 12 === 0 ? 12 : hours % 12}:${twoDigits(time.getUTCMinutes())}:${twoDigits(time.getUTCSeconds())} ` +
    `${hours < 12 ? 'AM' : 'PM'}`
  );
}
