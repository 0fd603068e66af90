// The composition root of the webhook function URLs.

export {
  createWebhookPlatform,
  type WebhookEnvironment,
  type WebhookPlatform,
  type WebhookPlatformConfig,
  type WebhookPlatformOptions,
  webhookConfigFromEnvironment,
  webhookEnvironmentFrom,
  webhookEventBridgeSettings,
} from './webhook-platform.js';
