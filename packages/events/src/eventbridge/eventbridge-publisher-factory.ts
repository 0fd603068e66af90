import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Logger } from '@mangaassist/commons';
import { EventBridgeEventPublisher } from './eventbridge-event-publisher.js';

export interface EventBridgePublisherSettings {
  /** Name or ARN of the bus every event goes to. */
  readonly eventBusName: string;
  /** A custom endpoint (the local bus, which accepts any region and static credentials); unset = AWS. */
  readonly endpoint?: string;
  /** Static credentials for a local endpoint; unset = the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * The SDK's own attempts per PutEvents call; the publisher retries the entries that failed on
   * top of them, so 1 keeps a failing call from multiplying.
   * @default 1
   */
  readonly sdkMaxAttempts?: number;
  /** @default 1_000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest one PutEvents attempt may take; then it fails with `TimeoutError` (retried) instead of
   * holding the caller.
   * @default 5_000
   */
  readonly requestTimeoutMs?: number;
}

/** A publisher with the client it owns. */
export interface OwnedEventBridgePublisher {
  readonly publisher: EventBridgeEventPublisher;
  /** Closes the client's sockets (servers and tests; Lambda never calls it). */
  close(): void;
}

/**
 * Builds an `EventBridgeEventPublisher` on a client of its own, configured to fail fast: short
 * connection and request timeouts that fail the attempt (`TimeoutError`) rather than only warn,
 * and no SDK retries unless asked (the publisher retries failed entries itself). Opens no
 * connection until the first publish.
 *
 * @example
 * const { publisher } = createEventBridgePublisher({ eventBusName: 'MangaAssist-AI-Events', logger });
 */
export function createEventBridgePublisher(
  settings: EventBridgePublisherSettings,
): OwnedEventBridgePublisher {
  const client = new EventBridgeClient({
    maxAttempts: settings.sdkMaxAttempts ?? 1,
    ...(settings.endpoint ? { endpoint: settings.endpoint, region: 'ap-northeast-1' } : {}),
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    // The SDK builds its NodeHttpHandler from these options.
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? 1_000,
      requestTimeout: settings.requestTimeoutMs ?? 5_000,
      throwOnRequestTimeout: true,
    },
  });
  return {
    publisher: new EventBridgeEventPublisher(client, {
      eventBusName: settings.eventBusName,
      ...(settings.logger ? { logger: settings.logger } : {}),
    }),
    close: () => client.destroy(),
  };
}
