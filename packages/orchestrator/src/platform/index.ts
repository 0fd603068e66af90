// The orchestrator's composition root: the chat core behind both listeners.

export {
  createOrchestratorPlatform,
  type OrchestratorPlatform,
  type OrchestratorPlatformOptions,
  orchestratorMaxSockets,
} from './orchestrator-platform.js';
