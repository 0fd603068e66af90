// The public surface of @mangaassist/fm-gateway/bedrock-batch: Bedrock batch inference behind the
// `BatchInference` port of @mangaassist/fm-gateway/batch, and the JSONL record formats it reads and writes.

export { batchJobId, batchOutputLocation } from './batch-output-location.js';
export {
  type BatchInputRecord,
  BatchOutputLineError,
  type BatchRecordAnswer,
  type BatchRecordFailure,
  type BatchRecordResult,
  batchInputLine,
  batchInputRecord,
  parseBatchOutput,
  parseBatchOutputLine,
  UnsupportedBatchModelError,
} from './batch-records.js';
export { BedrockBatchInference, toBatchInferenceError } from './bedrock-batch-inference.js';
