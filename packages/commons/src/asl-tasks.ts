/**
 * Amazon States Language pieces shared by the state machines built in code (the job workflow,
 * the recommendation workflow): their Task states invoke one steps function the same way and
 * retry the same transient failures the same way.
 */

/**
 * Lambda's own transient failures, retried on every Task invoking a function: those CDK's
 * `LambdaInvoke` retries by default, and Lambda's throttling of the invocation.
 */
export const lambdaTransientErrors: readonly string[] = Object.freeze([
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
]);

/**
 * A Task's retrier for Lambda's transient failures and the errors named in `errors` (a store
 * unreachable): 4 attempts, 2 s doubling, full jitter.
 */
export function transientTaskRetry(...errors: readonly string[]) {
  return {
    ErrorEquals: [...lambdaTransientErrors, ...errors],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  };
}

/**
 * A Task state invoking the steps function whose ARN is the definition substitution
 * `functionArnSubstitution` (`${Name}` in the ASL, filled in by CDK and by `pnpm dev`) with
 * `{ step, ...parameters }`, given `timeoutSeconds`.
 */
export function stepTask(
  functionArnSubstitution: string,
  step: string,
  parameters: Record<string, unknown>,
  timeoutSeconds: number,
) {
  return {
    Type: 'Task',
    Resource: `\${${functionArnSubstitution}}`,
    Parameters: { step, ...parameters },
    TimeoutSeconds: timeoutSeconds,
  };
}
