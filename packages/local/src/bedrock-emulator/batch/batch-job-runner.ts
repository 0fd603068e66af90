import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EmulatorLogger } from '../logger.js';
import { type InputReading, type InputRecord, readInputRecords } from './batch-input.js';
import type { BatchJob } from './batch-job.js';
import type { BatchObjectStore } from './batch-object-store.js';
import { answerRecord, type RecordContext } from './batch-record.js';
import type { BatchJobStatus } from './batch-request.js';
import { outputLocation, parseS3Uri, type S3Location, s3Uri } from './s3-uri.js';

export interface RunnerDependencies {
  readonly store: BatchObjectStore;
  /** The emulator's model, scripts, faults and clock, shared by every record. */
  readonly model: Pick<RecordContext, 'faults' | 'scripts' | 'promptCache' | 'sleep'>;
  /** Records of one job answered at once. */
  readonly concurrency: number;
  readonly maxRecords: number;
  readonly maxInputBytes: number;
  readonly logger: EmulatorLogger;
  readonly now: () => Date;
  /** Moves the job on and emits the state change; a stopping job only moves to `Stopped`. */
  readonly transition: (job: BatchJob, status: BatchJobStatus, message?: string) => void;
}

/**
 * Runs a submitted job to its end, as Bedrock does: Validating (read and check the input),
 * Scheduled, InProgress (answer every record), then Completed, PartiallyCompleted (some records
 * have an `error`), or Failed (the input cannot be used, or no record was answered). The output
 * file and manifest are written before the final state. A stop ends the job `Stopped`, with the
 * records answered so far written out. Never rejects.
 */
export async function runBatchJob(job: BatchJob, deps: RunnerDependencies): Promise<void> {
  const { signal } = job.stop;
  const proceed = (status: BatchJobStatus): boolean => {
    if (signal.aborted) return false;
    deps.transition(job, status);
    return true;
  };
  try {
    // Let CreateModelInvocationJob answer before the job moves.
    await yieldToEventLoop();
    if (!proceed('Validating')) return deps.transition(job, 'Stopped');
    const input = parseS3Uri(job.request.inputDataConfig.s3InputDataConfig.s3Uri);
    const reading = await readInput(input, deps);
    if (signal.aborted) return deps.transition(job, 'Stopped');
    if (!reading.ok) return deps.transition(job, 'Failed', reading.message);
    job.counts = {
      total: reading.records.length,
      processed: 0,
      succeeded: 0,
      failed: 0,
      inputTokens: 0,
      outputTokens: 0,
    };
    if (!proceed('Scheduled') || !proceed('InProgress')) return deps.transition(job, 'Stopped');

    const lines = await answerAll(job, reading.records, deps);
    const writeFailure = await writeOutput(job, input, lines, deps.store);
    if (writeFailure !== undefined) return deps.transition(job, 'Failed', writeFailure);
    if (signal.aborted) return deps.transition(job, 'Stopped');
    const { total, succeeded, failed } = job.counts;
    if (failed === 0) return deps.transition(job, 'Completed');
    if (succeeded === 0) {
      return deps.transition(
        job,
        'Failed',
        `All ${total} records failed; the error of each is in the output file.`,
      );
    }
    deps.transition(job, 'PartiallyCompleted', `${failed} of ${total} records failed.`);
  } catch (error) {
    deps.logger.warn('bedrock emulator: a batch job failed unexpectedly', {
      jobArn: job.arn,
      error: String(error),
    });
    deps.transition(job, 'Failed', 'Internal error in the local emulator.');
  } finally {
    await job.delivery;
  }
}

async function readInput(input: S3Location, deps: RunnerDependencies): Promise<InputReading> {
  const uri = s3Uri(input);
  const failed = (message: string): InputReading => ({ ok: false, message });
  if (input.key === '' || input.key.endsWith('/')) {
    return failed(
      `The local emulator reads one input file; point s3InputDataConfig.s3Uri at a .jsonl object instead of ${uri}.`,
    );
  }
  if (!input.key.endsWith('.jsonl')) return failed(`The input file ${uri} is not a .jsonl file.`);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await deps.store.get(input.bucket, input.key);
  } catch (error) {
    return failed(
      `Could not read the input file ${uri}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (bytes === undefined) return failed(`The input file ${uri} does not exist.`);
  if (bytes.byteLength > deps.maxInputBytes) {
    return failed(
      `The input file ${uri} is larger than the local emulator's limit of ${deps.maxInputBytes} bytes.`,
    );
  }
  return readInputRecords(bytes, uri, { maxRecords: deps.maxRecords });
}

/** Each record's output line by input position; `undefined` for a record the stop cut off. */
async function answerAll(
  job: BatchJob,
  records: readonly InputRecord[],
  deps: RunnerDependencies,
): Promise<(string | undefined)[]> {
  const { signal } = job.stop;
  const context: RecordContext = {
    ...deps.model,
    region: job.region,
    modelId: job.request.modelId,
    invocationType: job.request.modelInvocationType ?? 'InvokeModel',
    signal,
  };
  const lines: (string | undefined)[] = new Array(records.length).fill(undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!signal.aborted) {
      const index = next;
      next += 1;
      const record = records[index];
      if (record === undefined) return;
      const answered = await answerRecord(record, context);
      if (answered === undefined) return;
      lines[index] = JSON.stringify(answered.line);
      const counts = job.counts;
      if (counts !== undefined) {
        counts.processed += 1;
        if (answered.succeeded) counts.succeeded += 1;
        else counts.failed += 1;
        counts.inputTokens += answered.inputTokens;
        counts.outputTokens += answered.outputTokens;
      }
      job.lastModifiedTime = deps.now();
      // A record answers without waiting when no latency is configured: give other work its turn.
      await yieldToEventLoop();
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, records.length) }, worker));
  return lines;
}

/** Writes `<input file>.out` and `manifest.json.out`; resolves the failure message if a write fails. */
async function writeOutput(
  job: BatchJob,
  input: S3Location,
  lines: readonly (string | undefined)[],
  store: BatchObjectStore,
): Promise<string | undefined> {
  const output = parseS3Uri(job.request.outputDataConfig.s3OutputDataConfig.s3Uri);
  const inputName = input.key.split('/').at(-1) ?? input.key;
  const written = lines.filter((line) => line !== undefined);
  const counts = job.counts;
  const manifest = {
    totalRecordCount: counts?.total ?? 0,
    processedRecordCount: counts?.processed ?? 0,
    successRecordCount: counts?.succeeded ?? 0,
    errorRecordCount: counts?.failed ?? 0,
    inputTokenCount: counts?.inputTokens ?? 0,
    outputTokenCount: counts?.outputTokens ?? 0,
  };
  const encoder = new TextEncoder();
  const files: [S3Location, string][] = [
    [outputLocation(output, job.id, `${inputName}.out`), written.map((line) => `${line}\n`).join('')],
    [outputLocation(output, job.id, 'manifest.json.out'), JSON.stringify(manifest)],
  ];
  for (const [location, text] of files) {
    try {
      await store.put(location.bucket, location.key, encoder.encode(text));
    } catch (error) {
      return `Could not write ${s3Uri(location)}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}
