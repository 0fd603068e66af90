import { lambdaTransientErrors } from '@mangaassist/commons';
import { describe, expect, it } from 'vitest';
import {
  recommendationStepErrors,
  recommendationStepTimeoutSeconds,
  recommendationWorkflowDefinition,
  recommendationWorkflowStates,
} from './recommendation-workflow.js';

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly MaxAttempts: number;
  readonly IntervalSeconds: number;
}
interface TaskState {
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
}

/** The definition's states, the Map's inner ones included, read as JSON as Step Functions reads it. */
function statesOf(definition: object): Record<string, TaskState> {
  const asl: {
    States: Record<string, TaskState & { ItemProcessor?: { States: Record<string, TaskState> } }>;
  } = JSON.parse(JSON.stringify(definition));
  const inner = Object.values(asl.States).flatMap((state) =>
    Object.entries(state.ItemProcessor?.States ?? {}),
  );
  return { ...asl.States, ...Object.fromEntries(inner) };
}

const states = statesOf(recommendationWorkflowDefinition());
const { plan, recommendSegment, summarize } = recommendationWorkflowStates;

/** The first retrier of `state` that matches `error`, as Step Functions picks it. */
const retrierFor = (state: string, error: string) =>
  states[state]?.Retry?.find((retrier) => retrier.ErrorEquals.includes(error));

describe('recommendationWorkflowDefinition', () => {
  it('retries an unreachable store and Lambda’s transient failures on every Task', () => {
    for (const state of [plan, recommendSegment, summarize]) {
      for (const error of [recommendationStepErrors.storeUnavailable, ...lambdaTransientErrors]) {
        expect(retrierFor(state, error), `${state} ${error}`).toMatchObject({ MaxAttempts: 4 });
      }
      expect(states[state]?.TimeoutSeconds, state).toBe(recommendationStepTimeoutSeconds);
    }
  });

  it('retries a throttled model longest, an unavailable one twice, and never an unusable answer', () => {
    expect(retrierFor(recommendSegment, recommendationStepErrors.modelThrottled)).toMatchObject({
      MaxAttempts: 4,
      IntervalSeconds: 5,
    });
    expect(retrierFor(recommendSegment, recommendationStepErrors.modelUnavailable)).toMatchObject({
      MaxAttempts: 2,
    });
    expect(retrierFor(recommendSegment, recommendationStepErrors.unusableAnswer)).toBeUndefined();
    expect(retrierFor(recommendSegment, 'States.ALL')).toBeUndefined();
  });

  it('records any failure of a segment as that segment’s, and fails the run only from Plan or Summarize', () => {
    expect(states[recommendSegment]?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'SegmentFailed' }),
    ]);
    expect(states[plan]?.Catch).toBeUndefined();
    expect(states[summarize]?.Catch).toBeUndefined();
  });

  it('names no error in a retrier that the steps or Lambda never raise', () => {
    const known = new Set<string>([...Object.values(recommendationStepErrors), ...lambdaTransientErrors]);
    for (const [name, state] of Object.entries(states)) {
      for (const error of (state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals)) {
        expect(known.has(error), `${name} retries ${error}`).toBe(true);
      }
    }
  });

  it('asks about 1 to 40 segments at once', () => {
    expect(() => recommendationWorkflowDefinition({ maxConcurrency: 40 })).not.toThrow();
    for (const maxConcurrency of [0, 41, 2.5]) {
      expect(() => recommendationWorkflowDefinition({ maxConcurrency }), String(maxConcurrency)).toThrow(
        RangeError,
      );
    }
  });
});
