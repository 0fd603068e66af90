// The composition roots of the job doors: each builds only what its door calls.

export {
  type JobsConfig,
  jobsConfigFromEnvironment,
  jobsConfigSchema,
  requireJobsSetting,
} from './jobs-config.js';
export {
  type CallbackDeliveryPlatformOptions,
  createCallbackDeliveryPlatform,
  createExecutionEndedPlatform,
  createJobStarterPlatform,
  createJobStepsPlatform,
  createJobsApiPlatform,
  type JobPorts,
  type JobStarterPlatformOptions,
  type JobStepsPlatform,
  type JobStepsPlatformOptions,
  type JobsApiPlatform,
  type JobsApiPlatformOptions,
  jobsEventBridgeSettings,
} from './jobs-platform.js';
