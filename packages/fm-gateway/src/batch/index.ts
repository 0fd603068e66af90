// The public surface of @mangaassist/fm-gateway/batch: the batch-inference port, no SDK.

export {
  BatchAccessDeniedError,
  BatchInferenceError,
  BatchJobNotFoundError,
  BatchQuotaExceededError,
  BatchThrottledError,
  BatchValidationError,
} from './batch-errors.js';
export {
  type BatchInference,
  type BatchJobDescription,
  type BatchJobFilter,
  type BatchJobRequest,
  type BatchJobStatus,
  type BatchOutputLocation,
  type BatchRecordCounts,
  batchJobStatuses,
  isTerminalBatchStatus,
  toBatchJobStatus,
} from './batch-inference.js';
