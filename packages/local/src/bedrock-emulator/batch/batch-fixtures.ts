// Factories for the batch tests: input files, job requests and a recorder of state changes.
import type { CreateModelInvocationJobCommandInput } from '@aws-sdk/client-bedrock';
import type { BatchJobStateChange } from './batch-events.js';
import type { BatchJobStatus } from './batch-request.js';

export const batchRoleArn = 'arn:aws:iam::123456789012:role/catalog-batch';

/** One input line for Claude asking `text`. */
export function claudeRecord(recordId: string, text: string) {
  return {
    recordId,
    modelInput: {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 200,
      messages: [{ role: 'user', content: text }],
    },
  };
}

/** A JSONL file of `records`, one per line. */
export function jsonl(records: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
}

/** A CreateModelInvocationJob input reading `s3://catalog-batch/in/<file>` into `s3://catalog-batch/out/`. */
export function createJobInput(
  overrides: Partial<CreateModelInvocationJobCommandInput> & { file?: string } = {},
): CreateModelInvocationJobCommandInput {
  const { file = 'records.jsonl', ...rest } = overrides;
  return {
    jobName: 'catalog-refresh',
    roleArn: batchRoleArn,
    modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    inputDataConfig: {
      s3InputDataConfig: { s3Uri: `s3://catalog-batch/in/${file}`, s3InputFormat: 'JSONL' },
    },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://catalog-batch/out/' } },
    ...rest,
  };
}

/** Records every state change, and the statuses each job went through. */
export class StateChangeRecorder {
  readonly events: BatchJobStateChange[] = [];
  readonly listener = (event: BatchJobStateChange): void => {
    this.events.push(event);
  };

  statuses(jobArn: string): BatchJobStatus[] {
    return this.events
      .filter((event) => event.detail.batchJobArn === jobArn)
      .map((event) => event.detail.status);
  }

  clear(): void {
    this.events.length = 0;
  }
}
