// The public surface of @mangaassist/reenrichment/platform: the composition roots of its functions.

export {
  assertBatchRegion,
  type BatchCompletionPlatformOptions,
  batchTarget,
  createBatchCompletionPlatform,
  createReenrichmentStepsPlatform,
  type ReenrichmentConfig,
  type ReenrichmentPlatformOptions,
  type ReenrichmentStepsPlatform,
  reenrichmentConfigFromEnvironment,
  reenrichmentConfigSchema,
} from './reenrichment-platform.js';
