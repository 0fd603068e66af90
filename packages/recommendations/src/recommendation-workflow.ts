import { stepTask, transientTaskRetry } from '@mangaassist/commons';
/**
 * The recommendation regeneration's state machine, in Amazon States Language, defined once: CDK
 * deploys it (`DefinitionBody` with `definitionSubstitutions` for the steps function's ARN), the
 * six-hourly `recommendation-schedule` rule starts it, and `pnpm dev` runs the same definition in
 * process with its Task states overridden to the same steps.
 *
 * Plan (which segments have candidates) → RecommendSegments (a Map, one model call per segment,
 * bounded concurrency; Retry on throttling, a segment that still fails is recorded and the others
 * go on) → Summarize (fails the execution, and so its alarm, when no segment got a list). States
 * carry segment names and counts, never product lists or prompts.
 */

/** The placeholder CDK substitutes with the steps function's ARN (`definitionSubstitutions`). */
export const recommendationStepsFunctionArnSubstitution = 'RecommendationStepsFunctionArn';

/** The Task states' names: the local runner overrides each with the step of the same name. */
export const recommendationWorkflowStates = {
  plan: 'Plan',
  recommendSegment: 'RecommendSegment',
  summarize: 'Summarize',
} as const;

/** The step each Task state asks the steps function for (`step` in its input). */
export const recommendationStepNames = ['plan', 'recommend-segment', 'summarize'] as const;
export type RecommendationStepName = (typeof recommendationStepNames)[number];

/** Error names the steps throw (a Lambda's `errorType` is its error's `name`). */
export const recommendationStepErrors = {
  /** The model refused for load: retried with backoff. */
  modelThrottled: 'ModelThrottled',
  /** No model answered, or only a degraded one: retried, then the segment is recorded as failed. */
  modelUnavailable: 'ModelUnavailable',
  /** The model's answer cannot be used: not retried, the segment is recorded as failed. */
  unusableAnswer: 'UnusableRecommendations',
  /** The catalog or the recommendations table could not be reached: retried. */
  storeUnavailable: 'StoreUnavailable',
  /** No segment got a list: the execution fails (and alarms). */
  noSegmentRecommended: 'NoSegmentRecommended',
} as const;

export interface RecommendationWorkflowOptions {
  /** Segments asked of the model at once (the Map's `MaxConcurrency`). @default 3 */
  readonly maxConcurrency?: number;
}

/**
 * Every Task state's limit: one function runs them all, and its own timeout (below this) must end
 * a hung invocation before the state gives up on it.
 */
export const recommendationStepTimeoutSeconds = 120;

const storeRetry = transientTaskRetry(recommendationStepErrors.storeUnavailable);

/** A Task state calling the steps function with `step` and the given parameters. */
function task(step: RecommendationStepName, parameters: Record<string, unknown>) {
  return stepTask(
    recommendationStepsFunctionArnSubstitution,
    step,
    parameters,
    recommendationStepTimeoutSeconds,
  );
}

/**
 * The recommendation workflow's ASL (a JSON-serialisable object). Its input is whatever started
 * it (the scheduled event, or `{}` by hand): the run is named by the execution, timed by its start.
 */
export function recommendationWorkflowDefinition(options: RecommendationWorkflowOptions = {}) {
  const { plan, recommendSegment, summarize } = recommendationWorkflowStates;
  const maxConcurrency = options.maxConcurrency ?? 3;
  if (!Number.isSafeInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 40) {
    throw new RangeError(`maxConcurrency must be an integer from 1 to 40, got ${maxConcurrency}`);
  }
  return {
    Comment: 'MangaAssist recommendations: a model call per segment, each list stored and announced',
    StartAt: plan,
    TimeoutSeconds: 1_800,
    States: {
      [plan]: {
        ...task('plan', { 'run_id.$': '$$.Execution.Name', 'started_at.$': '$$.Execution.StartTime' }),
        Retry: [storeRetry],
        Next: 'Planned',
      },
      Planned: {
        Type: 'Choice',
        Choices: [{ Variable: '$.segments[0]', IsPresent: false, Next: 'NothingToRecommend' }],
        Default: 'RecommendSegments',
      },
      NothingToRecommend: { Type: 'Succeed', Comment: 'No product falls in any segment: no model call.' },
      RecommendSegments: {
        Type: 'Map',
        ItemsPath: '$.segments',
        MaxConcurrency: maxConcurrency,
        ItemSelector: {
          'segment.$': '$$.Map.Item.Value',
          'run_id.$': '$.run_id',
          'generated_at.$': '$.generated_at',
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: recommendSegment,
          States: {
            [recommendSegment]: {
              ...task('recommend-segment', {
                'segment.$': '$.segment',
                'run_id.$': '$.run_id',
                'generated_at.$': '$.generated_at',
              }),
              Retry: [
                storeRetry,
                {
                  ErrorEquals: [recommendationStepErrors.modelThrottled],
                  IntervalSeconds: 5,
                  MaxAttempts: 4,
                  BackoffRate: 2,
                  MaxDelaySeconds: 60,
                  JitterStrategy: 'FULL',
                },
                {
                  ErrorEquals: [recommendationStepErrors.modelUnavailable],
                  IntervalSeconds: 10,
                  MaxAttempts: 2,
                  BackoffRate: 2,
                  JitterStrategy: 'FULL',
                },
              ],
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'SegmentFailed' }],
              End: true,
            },
            SegmentFailed: {
              Type: 'Pass',
              Comment: 'One segment’s failure is recorded; the other segments go on.',
              Parameters: { 'segment.$': '$.segment', status: 'failed', 'error.$': '$.failure.Error' },
              End: true,
            },
          },
        },
        ResultPath: '$.results',
        Next: summarize,
      },
      [summarize]: {
        ...task('summarize', { 'run_id.$': '$.run_id', 'results.$': '$.results' }),
        Retry: [storeRetry],
        End: true,
      },
    },
  };
}

export type RecommendationWorkflowDefinition = ReturnType<typeof recommendationWorkflowDefinition>;
