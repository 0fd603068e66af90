// The composition root of the event consumers.

export {
  type ConsumerPlatform,
  type ConsumerPlatformConfig,
  type ConsumerPlatformOptions,
  createConsumerPlatform,
  type EventConsumerEnvironment,
  eventConsumerEnvironmentFrom,
  requiredSetting,
  requiredSettings,
} from './consumer-platform.js';
export {
  consumerEventBridgeSettings,
  createModelConsumerParts,
  type ModelConsumerParts,
} from './model-consumer.js';
