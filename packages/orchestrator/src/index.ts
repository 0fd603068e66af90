// The public surface of @mangaassist/orchestrator.

export {
  AdmissionGate,
  type AdmissionOptions,
  admissionFromEnvironment,
  defaultAdmission,
} from './admission-gate.js';
export {
  apiGatewayIdentity,
  apiKeyIdentity,
  apiKeyIdHeader,
  callingServiceHeader,
  callingServiceIdentity,
  isServiceName,
  serviceTenantId,
} from './identity.js';
export {
  type Identification,
  Orchestrator,
  type OrchestratorDoor,
  type OrchestratorOptions,
  type OrchestratorRoute,
  orchestratorMetricsNamespace,
  overloadedRefusal,
  type ReadinessProbe,
  type ShutdownOptions,
} from './orchestrator-server.js';
export {
  type CuttableResponse,
  cuttableResponse,
  shutdownRefusal,
  shuttingDown,
} from './shutdown-aware-response.js';
export {
  modelAttemptTracer,
  type OtlpTracing,
  type OtlpTracingOptions,
  otlpTracing,
  type RequestSpan,
  type RequestTracing,
  startRequestSpan,
  tracingFromEnvironment,
} from './tracing.js';
