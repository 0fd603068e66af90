// The public surface of @mangaassist/jobs.

export {
  type CallbackDeliverer,
  type CallbackOutcome,
  type CallbackSecrets,
  callbackAttempts,
  callbackMessageSchema,
  callbackRetrySeconds,
  makeCallbackDeliverer,
} from './callbacks/callback-delivery.js';
export type { CallbackPolicy, CallbackResponse, CallbackSender } from './callbacks/callback-sender.js';
export {
  type CallbackMessage,
  type CallbackQueue,
  jobEndedDetail,
  makeJobNotifier,
} from './callbacks/job-notifications.js';
export { type ChunkOptions, chunkText } from './chunking/chunk-text.js';
export {
  assertRange,
  type DocumentStore,
  DocumentStoreUnavailableError,
  documentKeys,
  type PresignedUpload,
} from './document-store.js';
export { type JobFailure, type JobRecord, type JobResult, toJobDocument } from './job.js';
export {
  DocumentTooLargeError,
  JobQueueUnavailableError,
  JobService,
  type JobServiceDependencies,
  UploadNotFoundError,
} from './job-service.js';
export {
  type JobExecutions,
  type JobQueue,
  type JobStarter,
  jobMessageBody,
  jobMessageSchema,
  jobStartAttempts,
  makeJobStartAbandoner,
  makeJobStarter,
  type StartOutcome,
  type TenantJobCap,
} from './job-starter.js';
export {
  IdempotencyKeyReusedError,
  type JobChange,
  type JobIdempotency,
  type JobStore,
  JobStoreUnavailableError,
} from './job-store.js';
export { type JobsEndpointOptions, makeJobsEndpoint } from './jobs-endpoint.js';
export { MemoryJobStore } from './memory-job-store.js';
export { type ExecutionEnded, makeExecutionEndedHandler } from './workflow/execution-ended.js';
export {
  describeFailure,
  type JobModel,
  JobStepError,
  type JobStepInput,
  type JobSteps,
  type JobStepsDependencies,
  type JobUsage,
  jobStepInputSchema,
  makeJobSteps,
  makeJobStepsHandler,
} from './workflow/job-steps.js';
export {
  type JobStepName,
  type JobWorkflowDefinition,
  type JobWorkflowOptions,
  jobStepErrors,
  jobStepNames,
  jobStepsFunctionArnSubstitution,
  jobWorkflowDefinition,
  jobWorkflowStates,
} from './workflow/job-workflow.js';
