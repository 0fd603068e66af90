// The orchestrator's composition root: the chat core behind both listeners.

export {
  createOrchestratorPlatform,
  type OrchestratorPlatform,
  type OrchestratorPlatformOptions,
  orchestratorCoreOptions,
  orchestratorEventBatching,
  orchestratorMaxSockets,
  orchestratorStreamTimeoutMs,
} from './orchestrator-platform.js';
export {
  createWebSocketStreamWorker,
  pollingSqsClient,
  type WebSocketStreamWorker,
  type WebSocketStreamWorkerOptions,
} from './websocket-stream-worker.js';
