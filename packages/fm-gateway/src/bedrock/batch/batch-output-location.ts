import type { BatchOutputLocation } from '../../batch/batch-inference.js';

// arn:aws:bedrock:<region>:<account>:model-invocation-job/<12 lowercase letters and digits>
const jobArnShape = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:model-invocation-job\/([a-z0-9]{12})$/;

/**
 * The job id at the end of a batch inference job ARN: the folder Bedrock writes the job's output
 * under.
 * @throws TypeError when `jobArn` is not a model-invocation-job ARN.
 */
export function batchJobId(jobArn: string): string {
  const id = jobArnShape.exec(jobArn)?.[1];
  if (id === undefined) throw new TypeError(`Not a Bedrock batch inference job ARN: ${jobArn}`);
  return id;
}

/**
 * Where Bedrock writes a job's output: `<outputUri>/<job id>/<input file name>.out` for each input
 * file (`records.jsonl` → `records.jsonl.out`) and `<outputUri>/<job id>/manifest.json.out` with the
 * record and token counts. An input URI ending in `/` names a folder: every file in it gets its
 * own `.out`, so there is no single `file`.
 *
 * @example
 * batchOutputLocation({
 *   jobArn: 'arn:aws:bedrock:ap-northeast-1:123456789012:model-invocation-job/abcd1234wxyz',
 *   inputUri: 's3://catalog-batch/in/2025-04-01.jsonl',
 *   outputUri: 's3://catalog-batch/out/',
 * }).file; // 's3://catalog-batch/out/abcd1234wxyz/2025-04-01.jsonl.out'
 * @throws TypeError when `jobArn` is not a model-invocation-job ARN.
 */
export function batchOutputLocation(job: {
  readonly jobArn: string;
  readonly inputUri: string;
  readonly outputUri: string;
}): BatchOutputLocation {
  const prefix = `${job.outputUri.replace(/\/+$/, '')}/${batchJobId(job.jobArn)}/`;
  const inputKey = job.inputUri.replace(/^s3:\/\/[^/]*\/?/, '');
  const inputFileName = inputKey === '' || inputKey.endsWith('/') ? undefined : inputKey.split('/').at(-1);
  return {
    prefix,
    ...(inputFileName ? { file: `${prefix}${inputFileName}.out` } : {}),
    manifest: `${prefix}manifest.json.out`,
  };
}
