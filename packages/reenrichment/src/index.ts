// The public surface of @mangaassist/reenrichment.

export {
  type BatchCompletionDependencies,
  type BatchCompletionOutcome,
  type BatchSweep,
  batchCompletionEventPattern,
  batchSweepSchedule,
  makeBatchCompletion,
  type TaskCallbacks,
  TaskTokenGoneError,
} from './batch-completion.js';
export { batchJobName, batchJobNamePrefix, reenrichmentKeys } from './reenrichment-objects.js';
export {
  makeReenrichmentSteps,
  type ReenrichmentObjects,
  ReenrichmentStepError,
  type ReenrichmentStepInput,
  type ReenrichmentStepsDependencies,
  reenrichmentStepInputSchema,
} from './reenrichment-steps.js';
export {
  batchJobTimeoutHours,
  type ReenrichmentStepName,
  type ReenrichmentWorkflowDefinition,
  type ReenrichmentWorkflowOptions,
  reenrichmentKnownErrors,
  reenrichmentStepErrors,
  reenrichmentStepNames,
  reenrichmentStepsFunctionArnSubstitution,
  reenrichmentStepTimeoutSeconds,
  reenrichmentTimeoutHours,
  reenrichmentWorkflowDefinition,
  reenrichmentWorkflowStates,
} from './reenrichment-workflow.js';
