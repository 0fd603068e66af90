import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  type Logger,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { gatewayEnvironment, type WebhookSource, webhookSources } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { createEventBridgePublisher, type EventBridgeClientSettings } from '@mangaassist/events/eventbridge';
import type { FmGateway } from '@mangaassist/fm-gateway';
import { DynamoDbIdempotencyStore } from '@mangaassist/idempotency/dynamodb';
import type { CatalogEnrichmentQueue } from '../catalog-enrichment-queue.js';
import type { WebhookReceiver } from '../receiver/webhook-receiver.js';
import {
  createSecretsManagerClient,
  SecretsManagerWebhookSecrets,
} from '../secrets-manager/secrets-manager-webhook-secrets.js';
import { makeWebhookReceivers, webhookSchemes } from '../sources.js';
import type { WebhookSecretProvider } from '../webhook-secret-provider.js';

/** How long a response may wait for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 300;

/**
 * The webhooks' EventBridge client: the SDK's 3 attempts, 1 s to connect and 5 s per request,
 * past which the request fails (`TimeoutError`, retried) instead of only warning — a stalled
 * PutEvents must not hold a delivery past its processing timeout and its claim's in-progress time.
 */
export const webhookEventBridgeSettings: EventBridgeClientSettings = Object.freeze({
  sdkMaxAttempts: 3,
  timeouts: Object.freeze({
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    throwOnRequestTimeout: true,
  }),
});

/** What a webhook function reads from its environment (names in `gatewayEnvironment`). */
export interface WebhookEnvironment {
  readonly source: WebhookSource;
  /** ARN or name of the secret holding the `WebhookSecrets` JSON. */
  readonly secretId: string;
  readonly idempotencyTable: string;
  readonly eventBusName: string;
  /** The catalog enrichment queue's URL: the `catalog` source's only (required there). */
  readonly catalogEnrichmentQueueUrl?: string;
  /** A custom EventBridge endpoint (the local bus); unset = AWS. */
  readonly eventBridgeEndpoint?: string;
  /** A custom DynamoDB endpoint (the embedded DynamoDB); unset = AWS. */
  readonly dynamoDbEndpoint?: string;
}

/**
 * Reads the webhook function's settings. Throws `ConfigurationError` naming the variable that is
 * missing or invalid, so a bad deployment fails at cold start rather than on a delivery.
 */
export function webhookEnvironmentFrom(
  env: Readonly<Record<string, string | undefined>>,
): WebhookEnvironment {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (name: string) => {
    const value = read(name);
    if (value === undefined) throw new ConfigurationError(`${name} is required`);
    return value;
  };
  const names = gatewayEnvironment;
  const sourceName = required(names.webhookSource);
  const source = webhookSources.find((candidate) => candidate === sourceName);
  if (!source) {
    throw new ConfigurationError(`${names.webhookSource} must be one of ${webhookSources.join(', ')}`);
  }
  const eventBridgeEndpoint = read(names.eventBridgeEndpoint);
  const dynamoDbEndpoint = read(names.dynamoDbEndpoint);
  return {
    source,
    secretId: required(names.webhookSecretId),
    idempotencyTable: required(names.idempotencyTable),
    eventBusName: required(names.eventBusName),
    ...(source === 'catalog' ? { catalogEnrichmentQueueUrl: required(names.catalogEnrichmentQueueUrl) } : {}),
    ...(eventBridgeEndpoint ? { eventBridgeEndpoint } : {}),
    ...(dynamoDbEndpoint ? { dynamoDbEndpoint } : {}),
  };
}

/** What the webhook composition root builds from. */
export interface WebhookPlatformConfig extends Omit<WebhookEnvironment, 'source' | 'secretId'> {
  /** The sources served: the one `WEBHOOK_SOURCE` of a deployed function; `pnpm dev` serves all. */
  readonly sources: readonly WebhookSource[];
  /** The Secrets Manager secret; required unless `options.secrets` is given. */
  readonly secretId?: string;
}

/**
 * Reads a webhook function's configuration (`webhookEnvironmentFrom`) as the composition root
 * takes it. Throws `ConfigurationError` naming the variable that is missing or invalid.
 */
export function webhookConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): WebhookPlatformConfig & { readonly source: WebhookSource } {
  const environment = webhookEnvironmentFrom(env);
  return { ...environment, sources: [environment.source] };
}

export interface WebhookPlatformOptions extends AwsClientSettings {
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * The signing secrets.
   * @default - Secrets Manager `config.secretId` (60 s cache), validating only the served sources
   */
  readonly secrets?: WebhookSecretProvider;
  /**
   * The FM gateway, for the reviews' sentiment: required when `reviews` is served, and only then
   * built by the door (so the stripe and catalog functions carry no model client). Its
   * `InferenceCompleted` events are flushed after each response; the platform does not close it.
   * @default - none
   */
  readonly gateway?: Pick<FmGateway, 'complete' | 'flush'>;
  /**
   * Where the webhooks publish.
   * @default - EventBridge `config.eventBusName` with `webhookEventBridgeSettings`
   */
  readonly events?: EventPublisher;
  /**
   * Where each catalog item goes for its enrichment: required when `catalog` is served, and only
   * then built by the door (`SqsCatalogEnrichmentQueue` on `config.catalogEnrichmentQueueUrl`),
   * so the stripe and reviews functions carry no SQS client.
   * @default - none
   */
  readonly catalogEnrichment?: CatalogEnrichmentQueue;
}

/** What the webhook receivers are built from. */
export interface WebhookPlatform {
  /** One receiver per served source: mount them with `makeWebhookRouter`. */
  readonly receivers: readonly WebhookReceiver[];
  /** Work that must finish before Lambda freezes the environment: the gateway's event flush. */
  readonly afterResponse?: () => Promise<void>;
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * The composition root of the webhook function URLs: the secrets (Secrets Manager), the
 * idempotency store (DynamoDB), the EventBridge publisher and — only when `reviews` is served —
 * the FM gateway for the sentiment, or — only when `catalog` is — the catalog enrichment queue,
 * then one receiver per source. Stripe and catalog functions build no model client at all.
 * Throws `ConfigurationError` for `reviews` without a gateway, `catalog` without the queue, or
 * no secrets.
 */
export function createWebhookPlatform(
  config: WebhookPlatformConfig,
  options: WebhookPlatformOptions = {},
): WebhookPlatform {
  const logger = options.logger ?? silentLogger;
  const { gateway } = options;
  let { events } = options;
  let closeEvents = () => {};
  if (events === undefined) {
    const owned = createEventBridgePublisher({
      eventBusName: config.eventBusName,
      client: webhookEventBridgeSettings,
      ...awsClientOptions(config.eventBridgeEndpoint, options),
      logger,
    });
    events = owned.publisher;
    closeEvents = owned.close;
  }
  const documents = createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, options));
  const receivers = makeWebhookReceivers(
    {
      secrets: options.secrets ?? secretsManagerSecrets(config, logger),
      idempotency: new DynamoDbIdempotencyStore(documents, { tableName: config.idempotencyTable, logger }),
      events,
      logger,
      ...(gateway ? { gateway } : {}),
      ...(options.catalogEnrichment ? { catalogEnrichment: options.catalogEnrichment } : {}),
    },
    config.sources,
  );
  return {
    receivers,
    ...(gateway ? { afterResponse: () => gateway.flush(eventFlushMs) } : {}),
    logger,
    async close() {
      closeEvents();
      documents.destroy();
    },
  };
}

function secretsManagerSecrets(config: WebhookPlatformConfig, logger: Logger): WebhookSecretProvider {
  if (config.secretId === undefined) {
    throw new ConfigurationError(`${gatewayEnvironment.webhookSecretId} is required`);
  }
  return new SecretsManagerWebhookSecrets(createSecretsManagerClient(), {
    secretId: config.secretId,
    formats: Object.fromEntries(config.sources.map((source) => [source, webhookSchemes[source]])),
    logger,
  });
}
