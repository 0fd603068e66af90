import type { AwsClientSettings, Logger } from '@mangaassist/commons';
import { awsClientOptions } from '@mangaassist/commons';
import type { EventPublisher } from '@mangaassist/events';
import { createEventBridgePublisher, type EventBridgeClientSettings } from '@mangaassist/events/eventbridge';
import type { FmGateway, GatewayConfig } from '@mangaassist/fm-gateway';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import { type EventConsumerEnvironment, requiredSetting } from './consumer-platform.js';

/**
 * The consumers' EventBridge client for what they emit: one SDK attempt (the publisher resends
 * failed entries itself) and the SDK's socket defaults.
 */
export const consumerEventBridgeSettings: EventBridgeClientSettings = Object.freeze({ sdkMaxAttempts: 1 });

/** What a consumer that calls a model adds to its platform. */
export interface ModelConsumerParts {
  /** The bus, for what the consumer emits. */
  readonly events: EventPublisher;
  /** The FM gateway (it publishes its own `InferenceCompleted`, as every door's gateway does). */
  readonly model: FmGateway;
  close(): Promise<void>;
}

/**
 * The bus publisher and the FM gateway of a consumer that calls a model (fm-trigger): only its
 * entry imports this, so the other consumers carry no model or bus client. Throws `ConfigurationError` when the consumer has no bus configured.
 */
export function createModelConsumerParts(
  config: EventConsumerEnvironment,
  gatewayConfig: GatewayConfig,
  options: AwsClientSettings & { readonly logger?: Logger } = {},
): ModelConsumerParts {
  const bus = createEventBridgePublisher({
    eventBusName: requiredSetting(config, 'eventBusName'),
    client: consumerEventBridgeSettings,
    ...awsClientOptions(config.eventBridgeEndpoint, options),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const gateway = createGateway(gatewayConfig, options);
  return {
    events: bus.publisher,
    model: gateway.gateway,
    async close() {
      await gateway.close();
      bus.close();
    },
  };
}
