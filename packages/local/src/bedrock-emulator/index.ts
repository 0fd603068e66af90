export {
  type BatchJobStateChange,
  type BatchJobStateChangeDetail,
  type BatchStateChangeListener,
  batchStateChangeDetailType,
  batchStateChangeSource,
} from './batch/batch-events.js';
export type { BatchJobView } from './batch/batch-job.js';
export type { BatchInferenceOptions } from './batch/batch-jobs.js';
export { type BatchObjectStore, InMemoryBatchObjectStore } from './batch/batch-object-store.js';
export type { BatchJobStatus } from './batch/batch-request.js';
export type { BedrockEmulator, BedrockEmulatorOptions } from './emulator.js';
export { startBedrockEmulator } from './emulator.js';
export type { BedrockErrorName } from './errors.js';
export { bedrockErrorStatus } from './errors.js';
export type { FaultErrorName, FaultSpec, FaultTarget, LatencyDefaults } from './faults.js';
export { faultErrorNames, faultSpecSchema } from './faults.js';
export type { EmulatorLogger } from './logger.js';
export type { Sleep } from './operations/pacer.js';
export type {
  EmulatorStats,
  RequestOutcome,
  StatsEntry,
  StatsFilter,
  WireProtocol,
} from './request-stats.js';
export type { ActiveScript, ScriptSpec } from './scripts.js';
export { scriptSpecSchema } from './scripts.js';
