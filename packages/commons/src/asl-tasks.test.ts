import { describe, expect, it } from 'vitest';
import { lambdaTransientErrors, stepTask, transientTaskRetry } from './asl-tasks.js';

describe('transientTaskRetry', () => {
  it('retries Lambda’s transient failures and the named errors, 4 times from 2 s with full jitter', () => {
    expect(transientTaskRetry('StoreUnavailable')).toEqual({
      ErrorEquals: [...lambdaTransientErrors, 'StoreUnavailable'],
      IntervalSeconds: 2,
      MaxAttempts: 4,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    });
  });

  it('covers what CDK’s LambdaInvoke retries, and Lambda throttling the invocation', () => {
    expect(lambdaTransientErrors).toEqual(
      expect.arrayContaining([
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ]),
    );
  });
});

describe('stepTask', () => {
  it('invokes the substituted function with the step and its parameters, under the timeout', () => {
    expect(stepTask('StepsArn', 'plan', { 'run_id.$': '$$.Execution.Name' }, 120)).toEqual({
      Type: 'Task',
      Resource: `\${StepsArn}`,
      Parameters: { step: 'plan', 'run_id.$': '$$.Execution.Name' },
      TimeoutSeconds: 120,
    });
  });
});
