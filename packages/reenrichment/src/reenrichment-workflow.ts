/**
 * The whole-catalog re-enrichment's state machine, in Amazon States Language, defined once: CDK
 * deploys it (`DefinitionBody` with `definitionSubstitutions` for the steps function's ARN), an
 * operator starts it (`aws stepfunctions start-execution`, or `POST /_local/executions` on `pnpm
 * dev`), and `pnpm dev` runs the same definition in process.
 *
 * Plan (the catalog, page by page, into a manifest in S3: state payloads carry its key, never the
 * products) → Route: nothing to do; fewer products than the batch threshold → EnrichProducts, a
 * Distributed Map over the manifest, 25 products per child, each asking the fast model on demand;
 * as many or more → PrepareBatch (the JSONL input) → RunBatchJob (one Bedrock batch inference job,
 * about half the price; the state waits on its task token until the job's state change event
 * completes it) → ApplyBatchResults (a page of the output at a time) → Summarize. A batch job
 * that Bedrock refuses or cannot take after the retries, that fails, or whose end is not heard of
 * within its timeout (the job is then stopped), falls back to the on-demand Map.
 */
import { lambdaTransientErrors, stepTask, transientTaskRetry } from '@mangaassist/commons';

/** The definition substitution CDK fills with the steps function's ARN. */
export const reenrichmentStepsFunctionArnSubstitution = 'ReenrichmentStepsFunctionArn';

/** The step each Task state asks the steps function for (`step` in its input). */
export const reenrichmentStepNames = [
  'plan',
  'enrich-products',
  'prepare-batch',
  'submit-batch',
  'stop-batch',
  'apply-batch',
  'summarize',
] as const;
export type ReenrichmentStepName = (typeof reenrichmentStepNames)[number];

/** Error names the steps throw (a Lambda's `errorType` is its error's `name`). */
export const reenrichmentStepErrors = {
  /** The model refused for load: the child is retried with backoff. */
  modelThrottled: 'ModelThrottled',
  /** A store (catalog, products, the bucket) could not be reached: retried. */
  storeUnavailable: 'StoreUnavailable',
  /** Bedrock could not take the batch job now (throttled, over quota): retried, then on demand. */
  batchUnavailable: 'BatchUnavailable',
  /** A Map child ran out of its time budget: retried (the products it did are skipped). */
  childUnfinished: 'ChildUnfinished',
  /** Bedrock refused the batch job (validation, access): the on-demand Map runs instead. */
  batchRejected: 'BatchRejected',
  /** The batch job ended Failed, Stopped or Expired (its state change says so): on demand instead. */
  batchJobFailed: 'BatchJobFailed',
  /** Products failed and none was enriched: the execution fails (and alarms). */
  nothingEnriched: 'NothingEnriched',
} as const;

/** The Task states' names (state names are unique machine-wide). */
export const reenrichmentWorkflowStates = {
  plan: 'Plan',
  enrichProducts: 'EnrichProducts',
  enrichBatch: 'EnrichBatch',
  prepareBatch: 'PrepareBatch',
  runBatchJob: 'RunBatchJob',
  stopBatchJob: 'StopBatchJob',
  applyBatchResults: 'ApplyBatchResults',
  summarize: 'Summarize',
} as const;

/** Every Lambda Task state's limit; the steps function's own timeout must be below it. */
export const reenrichmentStepTimeoutSeconds = 300;

/** Hours a batch job may run before Bedrock expires it (`timeoutDurationInHours`). */
export const batchJobTimeoutHours = 72;

/** Hours a run may take in all: its batch job's, and half a day for the rest. */
export const reenrichmentTimeoutHours = batchJobTimeoutHours + 12;

export interface ReenrichmentWorkflowOptions {
  /** Children of the on-demand Map at once. @default 10 */
  readonly maxConcurrency?: number;
  /** Products per child of the on-demand Map. @default 25 */
  readonly productsPerChild?: number;
  /** Percentage of children that may fail (after their retries) before the run fails. @default 10 */
  readonly toleratedFailurePercentage?: number;
}

const storeRetry = transientTaskRetry(reenrichmentStepErrors.storeUnavailable);

function task(step: ReenrichmentStepName, parameters: Record<string, unknown>) {
  return stepTask(reenrichmentStepsFunctionArnSubstitution, step, parameters, reenrichmentStepTimeoutSeconds);
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * The re-enrichment's ASL (a JSON-serialisable object). Its input is ignored: the run is named by
 * the execution and positioned at its start (content of a catalog update first seen later wins).
 * Throws `RangeError` for an option out of range.
 */
export function reenrichmentWorkflowDefinition(options: ReenrichmentWorkflowOptions = {}) {
  const maxConcurrency = integer('maxConcurrency', options.maxConcurrency ?? 10, 1, 1_000);
  const productsPerChild = integer('productsPerChild', options.productsPerChild ?? 25, 1, 100);
  const tolerated = integer('toleratedFailurePercentage', options.toleratedFailurePercentage ?? 10, 0, 100);
  const states = reenrichmentWorkflowStates;
  const toOnDemand = (errors: readonly string[]) => ({
    ErrorEquals: [...errors],
    ResultPath: '$.batch_failure',
    Next: states.enrichProducts,
  });
  return {
    Comment:
      'MangaAssist catalog re-enrichment: on demand through a Distributed Map, or one Bedrock batch job',
    StartAt: states.plan,
    TimeoutSeconds: reenrichmentTimeoutHours * 3600,
    States: {
      [states.plan]: {
        ...task('plan', { 'run_id.$': '$$.Execution.Name', 'started_at.$': '$$.Execution.StartTime' }),
        Retry: [storeRetry],
        Next: 'Route',
      },
      Route: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.count', NumericEquals: 0, Next: 'NothingToEnrich' },
          { Variable: '$.mode', StringEquals: 'batch', Next: states.prepareBatch },
        ],
        Default: states.enrichProducts,
      },
      NothingToEnrich: { Type: 'Succeed', Comment: 'The catalog is empty: no model call.' },
      [states.enrichProducts]: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' },
        },
        ItemBatcher: {
          MaxItemsPerBatch: productsPerChild,
          BatchInput: { 'run_id.$': '$.run_id', 'at.$': '$.at' },
        },
        MaxConcurrency: maxConcurrency,
        ToleratedFailurePercentage: tolerated,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: states.enrichBatch,
          States: {
            [states.enrichBatch]: {
              ...task('enrich-products', {
                'products.$': '$.Items',
                'run_id.$': '$.BatchInput.run_id',
                'at.$': '$.BatchInput.at',
              }),
              Retry: [
                storeRetry,
                {
                  ErrorEquals: [reenrichmentStepErrors.childUnfinished],
                  IntervalSeconds: 1,
                  MaxAttempts: 10,
                  BackoffRate: 1,
                },
                {
                  ErrorEquals: [reenrichmentStepErrors.modelThrottled],
                  IntervalSeconds: 5,
                  MaxAttempts: 5,
                  BackoffRate: 2,
                  MaxDelaySeconds: 120,
                  JitterStrategy: 'FULL',
                },
              ],
              End: true,
            },
          },
        },
        ResultPath: '$.children',
        Next: states.summarize,
      },
      [states.prepareBatch]: {
        ...task('prepare-batch', { 'run_id.$': '$.run_id', 'manifest.$': '$.manifest' }),
        Retry: [storeRetry],
        ResultPath: '$.batch',
        Next: states.runBatchJob,
      },
      [states.runBatchJob]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: `\${${reenrichmentStepsFunctionArnSubstitution}}`,
          Payload: {
            step: 'submit-batch',
            'task_token.$': '$$.Task.Token',
            'run_id.$': '$.run_id',
            'batch.$': '$.batch',
          },
        },
        // The job's own limit, and an hour to hear of its end.
        TimeoutSeconds: (batchJobTimeoutHours + 1) * 3600,
        Retry: [
          transientTaskRetry(
            reenrichmentStepErrors.storeUnavailable,
            reenrichmentStepErrors.batchUnavailable,
          ),
        ],
        Catch: [
          toOnDemand([
            reenrichmentStepErrors.batchRejected,
            reenrichmentStepErrors.batchUnavailable,
            reenrichmentStepErrors.batchJobFailed,
          ]),
          // Its end never heard of: stop the job (no paying twice), then on demand.
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.batch_failure', Next: states.stopBatchJob },
        ],
        ResultPath: '$.job',
        Next: 'StartApplying',
      },
      [states.stopBatchJob]: {
        ...task('stop-batch', { 'run_id.$': '$.run_id' }),
        Retry: [storeRetry],
        // Best effort: the run goes on demand whether or not the job could be stopped.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.stop_failure', Next: states.enrichProducts }],
        ResultPath: '$.stopped',
        Next: states.enrichProducts,
      },
      StartApplying: {
        Type: 'Pass',
        Result: { cursor: 0, done: false, enriched: 0, skipped: 0, failed: 0 },
        ResultPath: '$.applied',
        Next: states.applyBatchResults,
      },
      [states.applyBatchResults]: {
        ...task('apply-batch', {
          'run_id.$': '$.run_id',
          'at.$': '$.at',
          'output_file.$': '$.job.output_file',
          'applied.$': '$.applied',
        }),
        Retry: [storeRetry],
        ResultPath: '$.applied',
        Next: 'AllApplied',
      },
      AllApplied: {
        Type: 'Choice',
        Choices: [{ Variable: '$.applied.done', BooleanEquals: true, Next: states.summarize }],
        Default: states.applyBatchResults,
      },
      [states.summarize]: {
        ...task('summarize', { 'run_id.$': '$.run_id', 'outcome.$': '$' }),
        Retry: [storeRetry],
        End: true,
      },
    },
  };
}

/** Errors the definition retries or catches, for tests: every one a step or Lambda raises. */
export const reenrichmentKnownErrors: readonly string[] = [
  ...Object.values(reenrichmentStepErrors),
  ...lambdaTransientErrors,
  'States.Timeout',
  'States.ALL',
];

export type ReenrichmentWorkflowDefinition = ReturnType<typeof reenrichmentWorkflowDefinition>;
