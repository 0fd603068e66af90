export type { BedrockEmulator, BedrockEmulatorOptions } from './emulator.js';
export { startBedrockEmulator } from './emulator.js';
export type { BedrockErrorName } from './errors.js';
export { bedrockErrorStatus } from './errors.js';
export type { FaultErrorName, FaultSpec, LatencyDefaults } from './faults.js';
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
