import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  configFromEnvironment,
  type EnvironmentField,
  type Logger,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import type { ConsumerModel, ProductCatalogReader } from '@mangaassist/consumers';
import { DynamoDbProductCatalog } from '@mangaassist/consumers/dynamodb';
import { gatewayEnvironment as names, tableNameSchema } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { createEventBridgePublisher, type EventBridgeClientSettings } from '@mangaassist/events/eventbridge';
import type { FmGateway, GatewayConfig } from '@mangaassist/fm-gateway';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import type { HttpEndpoint } from '@mangaassist/http';
import * as z from 'zod/mini';
import { DynamoDbRecommendationStore } from '../dynamodb/dynamodb-recommendation-store.js';
import { makeRecommendationSteps } from '../recommendation-steps.js';
import type { RecommendationStore } from '../recommendation-store.js';
import { makeRecommendationsEndpoint } from '../recommendations-endpoint.js';

export const recommendationsConfigSchema = z.object({
  recommendationsTable: tableNameSchema,
  /** The steps read the catalog here; the API does not. */
  productsTable: z.optional(tableNameSchema),
  /** The steps announce lists here; the API does not. */
  eventBusName: z.optional(z.string().check(z.minLength(1))),
  dynamoDbEndpoint: z.optional(z.url()),
  eventBridgeEndpoint: z.optional(z.url()),
});

export type RecommendationsConfig = z.output<typeof recommendationsConfigSchema>;

const recommendationsEnvironmentFields = {
  recommendationsTable: { variable: names.recommendationsTable },
  productsTable: { variable: names.productsTable },
  eventBusName: { variable: names.eventBusName },
  dynamoDbEndpoint: { variable: names.dynamoDbEndpoint },
  eventBridgeEndpoint: { variable: names.eventBridgeEndpoint },
} as const satisfies Record<keyof RecommendationsConfig, EnvironmentField>;

/**
 * The recommendations functions' settings. Throws `ConfigurationError` naming the variable that is
 * missing or invalid (`RECOMMENDATIONS_TABLE` always; the steps also need `PRODUCTS_TABLE` and
 * `EVENT_BUS_NAME`, checked by their platform), so a bad deployment fails at cold start.
 */
export function recommendationsConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): RecommendationsConfig {
  return configFromEnvironment(
    recommendationsConfigSchema,
    env,
    recommendationsEnvironmentFields,
    'recommendations',
  );
}

function required(config: RecommendationsConfig, setting: 'productsTable' | 'eventBusName'): string {
  const value = config[setting];
  if (value === undefined) {
    throw new ConfigurationError(
      `${recommendationsEnvironmentFields[setting].variable} is required by the recommendation steps`,
    );
  }
  return value;
}

export interface RecommendationsPlatformOptions extends AwsClientSettings {
  /** @default silentLogger */
  readonly logger?: Logger;
  /** @default - the recommendations table (`DynamoDbRecommendationStore`) */
  readonly store?: RecommendationStore;
}

/** The composition root of `GET /v1/recommendations`: the recommendations table, read only. */
export function createRecommendationsApiPlatform(
  config: RecommendationsConfig,
  options: RecommendationsPlatformOptions = {},
): { endpoint: HttpEndpoint; close(): void } {
  const endpoint = (store: RecommendationStore) =>
    makeRecommendationsEndpoint({ store, logger: options.logger ?? silentLogger });
  if (options.store) return { endpoint: endpoint(options.store), close: () => {} };
  const documents = documentClient(config, options);
  return {
    endpoint: endpoint(
      new DynamoDbRecommendationStore(documents, { tableName: config.recommendationsTable }),
    ),
    close: () => documents.destroy(),
  };
}

/**
 * The recommendation events' EventBridge client: the SDK's 3 attempts, 1 s to connect and 5 s per
 * request, past which the step fails and is retried by the state machine.
 */
export const recommendationsEventBridgeSettings: EventBridgeClientSettings = Object.freeze({
  sdkMaxAttempts: 3,
  timeouts: Object.freeze({
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    throwOnRequestTimeout: true,
  }),
});

export interface RecommendationStepsPlatformOptions extends RecommendationsPlatformOptions {
  /** @default - the products table (`DynamoDbProductCatalog`) */
  readonly catalog?: Pick<ProductCatalogReader, 'list'>;
  /** @default - EventBridge (`EVENT_BUS_NAME`) */
  readonly events?: EventPublisher;
  /** The FM gateway; when given, the platform neither builds nor closes one. One of this or `gateway`. */
  readonly model?: ConsumerModel & Partial<Pick<FmGateway, 'flush'>>;
  /** The settings of the FM gateway the platform builds (and closes), when no `model` is given. */
  readonly gateway?: GatewayConfig;
}

/**
 * The composition root of the recommendation workflow's steps function: the catalog (products
 * table), the recommendations table, the bus and the FM gateway (which publishes its own
 * `InferenceCompleted`). `handler` runs one step; `flush` sends the gateway's events before
 * Lambda freezes. Opens no connection until first use. Throws `ConfigurationError` for a missing
 * products table or bus, or neither a model nor the gateway's settings.
 */
export function createRecommendationStepsPlatform(
  config: RecommendationsConfig,
  options: RecommendationStepsPlatformOptions,
) {
  const logger = options.logger ?? silentLogger;
  let documents: DynamoDBDocumentClient | undefined;
  const tables = () => (documents ??= documentClient(config, options));
  let bus: ReturnType<typeof createEventBridgePublisher> | undefined;
  const events = (): EventPublisher => {
    if (options.events) return options.events;
    bus = createEventBridgePublisher({
      eventBusName: required(config, 'eventBusName'),
      client: recommendationsEventBridgeSettings,
      ...awsClientOptions(config.eventBridgeEndpoint, options),
      logger,
    });
    return bus.publisher;
  };
  const { model, close: closeModel } = modelOf(options, logger);
  const handler = makeRecommendationSteps({
    catalog:
      options.catalog ??
      new DynamoDbProductCatalog(tables(), { tableName: required(config, 'productsTable') }),
    store:
      options.store ?? new DynamoDbRecommendationStore(tables(), { tableName: config.recommendationsTable }),
    events: events(),
    model,
    logger,
  });
  return {
    handler,
    /** Sends the gateway's pending `InferenceCompleted` events, waiting at most `ms`. */
    flush: async (ms: number) => {
      await model.flush?.(ms);
    },
    async close() {
      documents?.destroy();
      bus?.close();
      await closeModel();
    },
  };
}

export type RecommendationStepsPlatform = ReturnType<typeof createRecommendationStepsPlatform>;

/** The given model (left open), or the gateway built from the given settings (closed with the platform). */
function modelOf(options: RecommendationStepsPlatformOptions, logger: Logger) {
  if (options.model) return { model: options.model, close: async () => {} };
  if (options.gateway === undefined) {
    throw new ConfigurationError('the recommendation steps need a model or the gateway’s settings');
  }
  const built = createGateway(options.gateway, { ...options, logger });
  return { model: built.gateway, close: () => built.close() };
}

function documentClient(config: RecommendationsConfig, settings: AwsClientSettings): DynamoDBDocumentClient {
  return createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, settings));
}
