import { lambdaTransientErrors } from '@mangaassist/commons';
import { describe, expect, it } from 'vitest';
import {
  reenrichmentKnownErrors,
  reenrichmentStepErrors,
  reenrichmentWorkflowDefinition,
  reenrichmentWorkflowStates,
} from './reenrichment-workflow.js';

interface State {
  readonly Type: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[]; readonly MaxAttempts: number }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
  readonly Next?: string;
  readonly MaxConcurrency?: number;
  readonly ToleratedFailurePercentage?: number;
  readonly ItemBatcher?: { readonly MaxItemsPerBatch: number };
  readonly ItemProcessor?: {
    readonly ProcessorConfig: { readonly Mode: string };
    readonly States: Record<string, State>;
  };
}

function statesOf(definition: object): Record<string, State> {
  const asl: { States: Record<string, State> } = JSON.parse(JSON.stringify(definition));
  const inner = Object.values(asl.States).flatMap((state) =>
    Object.entries(state.ItemProcessor?.States ?? {}),
  );
  return { ...asl.States, ...Object.fromEntries(inner) };
}

const states = statesOf(reenrichmentWorkflowDefinition());
const { enrichProducts, enrichBatch, runBatchJob } = reenrichmentWorkflowStates;
const retrierFor = (state: string, error: string) =>
  states[state]?.Retry?.find((retrier) => retrier.ErrorEquals.includes(error));

describe('reenrichmentWorkflowDefinition', () => {
  it('enriches on demand through a Distributed Map of 25 products a child, 10 at once, 10 % tolerated', () => {
    expect(states[enrichProducts]).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 10,
      ToleratedFailurePercentage: 10,
      ItemBatcher: { MaxItemsPerBatch: 25 },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } },
    });
  });

  it('gives every Task an explicit timeout and retries Lambda’s and the stores’ transient failures', () => {
    for (const [name, state] of Object.entries(states).filter(([, state]) => state.Type === 'Task')) {
      expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
      for (const error of [reenrichmentStepErrors.storeUnavailable, ...lambdaTransientErrors]) {
        expect(retrierFor(name, error), `${name} ${error}`).toBeDefined();
      }
    }
  });

  it('retries a throttled model per child, and falls back to on demand when the batch job cannot run', () => {
    expect(retrierFor(enrichBatch, reenrichmentStepErrors.modelThrottled)).toMatchObject({ MaxAttempts: 5 });
    expect(retrierFor(enrichBatch, reenrichmentStepErrors.childUnfinished)).toMatchObject({
      MaxAttempts: 10,
    });
    expect(retrierFor(runBatchJob, reenrichmentStepErrors.batchUnavailable)).toBeDefined();
    expect(retrierFor(runBatchJob, reenrichmentStepErrors.batchRejected)).toBeUndefined();
    expect(states[runBatchJob]?.Catch).toEqual([
      expect.objectContaining({
        ErrorEquals: [
          reenrichmentStepErrors.batchRejected,
          reenrichmentStepErrors.batchUnavailable,
          reenrichmentStepErrors.batchJobFailed,
        ],
        Next: enrichProducts,
      }),
      expect.objectContaining({ ErrorEquals: ['States.Timeout'], Next: 'StopBatchJob' }),
    ]);
    expect(states.StopBatchJob).toMatchObject({ Next: enrichProducts });
    expect(states.StopBatchJob?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: enrichProducts }),
    ]);
    expect(states[runBatchJob]?.TimeoutSeconds).toBe(73 * 3600);
  });

  it('names no error the steps or Lambda never raise', () => {
    for (const [name, state] of Object.entries(states)) {
      for (const error of [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap(
        (rule) => rule.ErrorEquals,
      )) {
        expect(reenrichmentKnownErrors, `${name} names ${error}`).toContain(error);
      }
    }
  });

  it('refuses options out of range', () => {
    expect(() => reenrichmentWorkflowDefinition({ maxConcurrency: 0 })).toThrow(RangeError);
    expect(() => reenrichmentWorkflowDefinition({ productsPerChild: 101 })).toThrow(RangeError);
    expect(() => reenrichmentWorkflowDefinition({ toleratedFailurePercentage: 101 })).toThrow(RangeError);
  });
});
