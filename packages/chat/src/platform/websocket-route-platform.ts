import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  type Logger,
  silentLogger,
} from '@mangaassist/commons';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { gatewayEnvironment } from '@mangaassist/contracts';
import { ApiGatewayManagementPusher } from '../api-gateway/api-gateway-management-pusher.js';
import type { ChatConfig } from '../config/chat-config.js';
import { SqsClientMessageQueue } from '../sqs/sqs-client-message-queue.js';
import type { ClientMessageQueue } from '../websocket/client-message-queue.js';
import type { ConnectionPusher } from '../websocket/connection-pusher.js';

export interface WebSocketRoutePlatformOptions extends AwsClientSettings {
  /**
   * Where client messages go for the stream worker.
   * @default - the SQS FIFO queue at `config.websocketMessageQueueUrl` (required then)
   */
  readonly queue?: ClientMessageQueue;
  /**
   * Tells a client its message could not be queued.
   * @default - API Gateway's management API at `config.websocketCallbackUrl` (required then)
   */
  readonly pusher?: ConnectionPusher;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** What the WebSocket message route is built from. */
export interface WebSocketRoutePlatform {
  readonly queue: ClientMessageQueue;
  readonly pusher: ConnectionPusher;
  readonly logger: Logger;
  close(): void;
}

/**
 * The composition root of the WebSocket message route: the queue it puts client messages on and
 * the pusher that tells a client when that failed — no model, no stores, so the route stays small
 * and answers at once. Without a queue it requires `websocketMessageQueueUrl`, without a pusher
 * `websocketCallbackUrl` (`ConfigurationError`).
 */
export function createWebSocketRoutePlatform(
  config: ChatConfig,
  options: WebSocketRoutePlatformOptions = {},
): WebSocketRoutePlatform {
  const queue = options.queue ? { queue: options.queue, close() {} } : sqsQueue(config, options);
  const pusher = options.pusher
    ? { pusher: options.pusher, close() {} }
    : managementPusher(websocketCallbackUrl(config));
  return {
    queue: queue.queue,
    pusher: pusher.pusher,
    logger: options.logger ?? silentLogger,
    close() {
      queue.close();
      pusher.close();
    },
  };
}

function sqsQueue(config: ChatConfig, settings: AwsClientSettings) {
  const client = traceAwsClient(new SQSClient(awsClientOptions(undefined, settings)));
  return {
    queue: new SqsClientMessageQueue(client, messageQueueUrl(config)),
    close: () => client.destroy(),
  };
}

function managementPusher(endpoint: string) {
  const client = traceAwsClient(new ApiGatewayManagementApiClient({ endpoint }));
  return { pusher: new ApiGatewayManagementPusher(client), close: () => client.destroy() };
}

/** `config.websocketCallbackUrl`, which frames are posted through. */
export function websocketCallbackUrl(config: ChatConfig): string {
  return required(
    config.websocketCallbackUrl,
    gatewayEnvironment.websocketCallbackUrl,
    'frames are posted through it',
  );
}

function messageQueueUrl(config: ChatConfig): string {
  return required(
    config.websocketMessageQueueUrl,
    gatewayEnvironment.websocketMessageQueueUrl,
    'client messages are queued on it for the stream worker',
  );
}

function required(value: string | undefined, variable: string, why: string): string {
  if (value === undefined) throw new ConfigurationError(`${variable} is required: ${why}`);
  return value;
}
