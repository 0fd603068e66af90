import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { emfWriter, type Logger, type MetricsSink } from '@mangaassist/commons';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { EventBridgeEventPublisher } from './eventbridge-event-publisher.js';

/** How a door's EventBridge client behaves: each door chooses its own (see the doors' constants). */
export interface EventBridgeClientSettings {
  /**
   * The SDK's own attempts per PutEvents call; the publisher resends the entries that failed on
   * top of them.
   */
  readonly sdkMaxAttempts: number;
  /**
   * Socket timeouts, in ms. With `throwOnRequestTimeout`, a request past `requestTimeoutMs` fails
   * (`TimeoutError`, retried); without, the SDK only warns and the request keeps waiting.
   * @default - the SDK's defaults
   */
  readonly timeouts?: {
    readonly connectionTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly throwOnRequestTimeout: boolean;
  };
}

export interface EventBridgePublisherSettings {
  /** Name or ARN of the bus every event goes to. */
  readonly eventBusName: string;
  readonly client: EventBridgeClientSettings;
  /** A custom endpoint (the local bus); unset = AWS. */
  readonly endpoint?: string;
  /** @default - the SDK's region chain (`AWS_REGION` in Lambda) */
  readonly region?: string;
  /** Static credentials (a local endpoint); unset = the SDK's credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Where events not published are counted (`publishFailuresMetric`). @default emfWriter() */
  readonly metrics?: MetricsSink;
}

/** A publisher with the client it owns. */
export interface OwnedEventBridgePublisher {
  readonly publisher: EventBridgeEventPublisher;
  /** Closes the client's sockets (servers and tests; Lambda never calls it). */
  close(): void;
}

/** The `EventBridgeClient` configuration `settings` describe (the SDK builds its handler from the options). */
export function eventBridgeClientConfig(
  settings: Omit<EventBridgePublisherSettings, 'eventBusName' | 'logger' | 'metrics'>,
): EventBridgeClientConfig {
  const { timeouts } = settings.client;
  return {
    maxAttempts: settings.client.sdkMaxAttempts,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    ...(timeouts
      ? {
          requestHandler: {
            connectionTimeout: timeouts.connectionTimeoutMs,
            requestTimeout: timeouts.requestTimeoutMs,
            throwOnRequestTimeout: timeouts.throwOnRequestTimeout,
          },
        }
      : {}),
  };
}

/**
 * Builds an `EventBridgeEventPublisher` on a client of its own, configured as `settings.client`
 * says (attempts, timeouts). Opens no connection until the first publish.
 *
 * @example
 * const { publisher } = createEventBridgePublisher({ eventBusName, client: webhookEventBridgeSettings, logger });
 */
export function createEventBridgePublisher(
  settings: EventBridgePublisherSettings,
): OwnedEventBridgePublisher {
  const client = traceAwsClient(new EventBridgeClient(eventBridgeClientConfig(settings)));
  return {
    publisher: new EventBridgeEventPublisher(client, {
      eventBusName: settings.eventBusName,
      ...(settings.logger ? { logger: settings.logger } : {}),
      metrics: settings.metrics ?? emfWriter(),
    }),
    close: () => client.destroy(),
  };
}
