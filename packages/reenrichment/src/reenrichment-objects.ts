import { createHash } from 'node:crypto';

/** Where a run keeps its files in the documents bucket, under `reenrichment/`. */
export const reenrichmentKeys = {
  /** The products of the run: a JSON array the Map reads (`{ product_id, title?, genre? }`). */
  manifest: (run: string) => `reenrichment/${run}/manifest.json`,
  /** The batch job's input, one record per manifest product. */
  batchInput: (run: string) => `reenrichment/${run}/batch/input.jsonl`,
  /** Where the batch job writes (`<prefix><job id>/input.jsonl.out`). */
  batchOutput: (run: string) => `reenrichment/${run}/batch/output/`,
  /** The task token waiting for the job named `jobName` (`batchTaskSchema`). */
  batchTask: (jobName: string) => `reenrichment/batch-jobs/${jobName}.json`,
  /**
   * The token of that job the completion has completed (`{ task_token, completed_at }`): a key of
   * its own, so that marking never overwrites a newer token a retried submission recorded.
   */
  batchTaskCompleted: (jobName: string) => `reenrichment/batch-jobs/${jobName}.completed.json`,
} as const;

/** The prefix of every batch job a stage's re-enrichment starts (the completion rule matches it). */
export function batchJobNamePrefix(stage: string): string {
  return `mangaassist-${stage}-reenrich-`;
}

/**
 * The batch job of run `run`: `mangaassist-<stage>-reenrich-<12 hex of the run's SHA-256>`, within
 * Bedrock's 63 characters. Throws `RangeError` for a stage that makes it longer.
 */
export function batchJobName(stage: string, run: string): string {
  const name = `${batchJobNamePrefix(stage)}${createHash('sha256').update(run).digest('hex').slice(0, 12)}`;
  if (name.length > 63 || !/^[a-zA-Z0-9](-*[a-zA-Z0-9+.])*$/.test(name)) {
    throw new RangeError(`stage ${JSON.stringify(stage)} makes batch job names Bedrock refuses (${name})`);
  }
  return name;
}
