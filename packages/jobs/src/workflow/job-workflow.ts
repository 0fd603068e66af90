import { stepTask, transientTaskRetry } from '@mangaassist/commons';
/**
 * The document job's state machine, in Amazon States Language, defined once: CDK deploys it
 * (`DefinitionBody` with `definitionSubstitutions` for the steps function's ARN) and `pnpm dev`
 * runs the same definition in process with its Task states overridden to the same step handlers.
 *
 * Prepare (chunk the document) → ProcessChunks (a Map of model calls, bounded concurrency; Retry
 * on throttling, Catch → the next model of the ladder) → Reduce (map-reduce: combine the round's
 * answers, or chunk them into another round) → … → Finish. Any failure → RecordFailure → Failed
 * (or Refused, a success, when the document or the tenant's budget is to blame: no alarm).
 * States carry job ids, rounds and chunk indexes, never texts (claim check: the texts are in the
 * document store), so no state nears Step Functions' 256 KB.
 */

/** The placeholder CDK substitutes with the steps function's ARN (`definitionSubstitutions`). */
export const jobStepsFunctionArnSubstitution = 'JobStepsFunctionArn';

/** The Task states' names: the local runner overrides each with the step of the same name. */
export const jobWorkflowStates = {
  prepare: 'Prepare',
  processChunk: 'ProcessChunk',
  reduce: 'Reduce',
  finish: 'Finish',
  recordFailure: 'RecordFailure',
} as const;

/** The step each Task state asks the steps function for (`step` in its input). */
export const jobStepNames = ['prepare', 'process-chunk', 'reduce', 'finish', 'record-failure'] as const;
export type JobStepName = (typeof jobStepNames)[number];

/** Error names the steps throw (a Lambda's `errorType` is its error's `name`). */
export const jobStepErrors = {
  /** Every model refused for load: retried with backoff, then the next model of the ladder. */
  modelThrottled: 'ModelThrottled',
  /** No model answered (or only a degraded one): the next model of the ladder. */
  modelUnavailable: 'ModelUnavailable',
  /** The ladder is exhausted: the job fails. */
  noModelLeft: 'NoModelLeft',
  /** The document cannot be processed (too large, not UTF-8, empty, rejected text): the job fails. */
  documentRejected: 'DocumentRejected',
  /** The tenant's daily budget is spent: the job fails with `budget_exhausted`. */
  budgetExhausted: 'BudgetExhausted',
  /** The job was cancelled (or finished) under the execution: it stops. */
  jobNotRunning: 'JobNotRunning',
  /** A store could not be reached: retried. */
  storeUnavailable: 'StoreUnavailable',
} as const;

export interface JobWorkflowOptions {
  /** Chunks processed at once, per job. @default 4 */
  readonly maxConcurrency?: number;
  /** The whole execution's limit. @default 21_600 (6 hours) */
  readonly timeoutSeconds?: number;
}

const storeRetry = transientTaskRetry(jobStepErrors.storeUnavailable);

/**
 * Every Task state's limit: one function runs them all, and its own timeout (below this) must end
 * a hung invocation before the state gives up on it, never after.
 */
export const jobStepTimeoutSeconds = 300;

/** A Task state calling the steps function with `step` and the given parameters. */
function task(step: JobStepName, parameters: Record<string, unknown>) {
  return stepTask(jobStepsFunctionArnSubstitution, step, parameters, jobStepTimeoutSeconds);
}

/** Routes every failure of a state to RecordFailure, with the error in `$.failure`. */
const catchAll = [
  { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: jobWorkflowStates.recordFailure },
];

/** The job workflow's ASL (a JSON-serialisable object). Input: `{ "job_id": "job_…" }`. */
export function jobWorkflowDefinition(options: JobWorkflowOptions = {}) {
  const { prepare, processChunk, reduce, finish, recordFailure } = jobWorkflowStates;
  return {
    Comment: 'MangaAssist document job: chunk, map model calls, reduce, store the result',
    StartAt: prepare,
    TimeoutSeconds: options.timeoutSeconds ?? 21_600,
    States: {
      [prepare]: {
        ...task('prepare', { 'job_id.$': '$.job_id', 'execution_id.$': '$$.Execution.Id' }),
        Retry: [storeRetry],
        Catch: catchAll,
        Next: 'Started',
      },
      Started: {
        Type: 'Choice',
        Choices: [{ Variable: '$.skip', BooleanEquals: true, Next: 'NotRunnable' }],
        Default: 'ProcessChunks',
      },
      NotRunnable: { Type: 'Succeed', Comment: 'The job was cancelled or had finished before it started.' },
      ProcessChunks: {
        Type: 'Map',
        ItemsPath: '$.indexes',
        MaxConcurrency: options.maxConcurrency ?? 4,
        ItemSelector: {
          'job_id.$': '$.job_id',
          'round.$': '$.round',
          'index.$': '$$.Map.Item.Value',
          'count.$': 'States.ArrayLength($.indexes)',
          rung: 0,
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: processChunk,
          States: {
            [processChunk]: {
              ...task('process-chunk', {
                'job_id.$': '$.job_id',
                'round.$': '$.round',
                'index.$': '$.index',
                'count.$': '$.count',
                'rung.$': '$.rung',
              }),
              Retry: [
                storeRetry,
                {
                  ErrorEquals: [jobStepErrors.modelThrottled],
                  IntervalSeconds: 5,
                  MaxAttempts: 4,
                  BackoffRate: 2,
                  MaxDelaySeconds: 60,
                  JitterStrategy: 'FULL',
                },
                {
                  ErrorEquals: [jobStepErrors.modelUnavailable],
                  IntervalSeconds: 10,
                  MaxAttempts: 2,
                  BackoffRate: 2,
                  JitterStrategy: 'FULL',
                },
              ],
              Catch: [
                {
                  ErrorEquals: [jobStepErrors.modelThrottled, jobStepErrors.modelUnavailable],
                  ResultPath: '$.last_error',
                  Next: 'NextModel',
                },
              ],
              End: true,
            },
            NextModel: {
              Type: 'Pass',
              Comment: 'The next model of the ladder: ProcessChunk fails with NoModelLeft past its end.',
              Parameters: {
                'job_id.$': '$.job_id',
                'round.$': '$.round',
                'index.$': '$.index',
                'count.$': '$.count',
                'rung.$': 'States.MathAdd($.rung, 1)',
              },
              Next: processChunk,
            },
          },
        },
        // The answers are in the document store; the Map's output would grow with the document.
        ResultPath: null,
        Catch: catchAll,
        Next: reduce,
      },
      [reduce]: {
        ...task('reduce', {
          'job_id.$': '$.job_id',
          'round.$': '$.round',
          'count.$': 'States.ArrayLength($.indexes)',
          'usage.$': '$.usage',
        }),
        Retry: [storeRetry],
        Catch: catchAll,
        Next: 'Reduced',
      },
      Reduced: {
        Type: 'Choice',
        Choices: [{ Variable: '$.done', BooleanEquals: true, Next: finish }],
        Default: 'ProcessChunks',
      },
      [finish]: {
        ...task('finish', { 'job_id.$': '$.job_id', 'model.$': '$.model', 'usage.$': '$.usage' }),
        Retry: [storeRetry],
        Catch: catchAll,
        End: true,
      },
      [recordFailure]: {
        ...task('record-failure', { 'job_id.$': '$.job_id', 'failure.$': '$.failure' }),
        Retry: [{ ...storeRetry, MaxAttempts: 6 }],
        Next: 'Recorded',
      },
      // Only failures an operator must look at fail the execution (and its alarm); a job refused
      // for its document or its tenant's budget ends here, its reason on the job.
      Recorded: {
        Type: 'Choice',
        Choices: [{ Variable: '$.operator_attention', BooleanEquals: false, Next: 'Refused' }],
        Default: 'Failed',
      },
      Refused: { Type: 'Succeed', Comment: 'The job failed for its input or budget; the job says why.' },
      Failed: { Type: 'Fail', Error: 'JobFailed', Cause: 'The job failed; its error is on the job.' },
    },
  };
}

export type JobWorkflowDefinition = ReturnType<typeof jobWorkflowDefinition>;
