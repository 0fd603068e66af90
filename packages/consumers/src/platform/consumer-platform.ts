import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  emfWriter,
  type Logger,
  type MetricsSink,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import {
  type ConsumerName,
  eventConsumers,
  gatewayEnvironment,
  queueConsumers,
} from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type { FmGateway } from '@mangaassist/fm-gateway';
import { DynamoDbIdempotencyStore } from '@mangaassist/idempotency/dynamodb';
import type { ConsumerModel } from '../consumer-model.js';
import type { ConsumerDependencies } from '../consumer-registry.js';
import { DynamoDbAnalyticsStore } from '../dynamodb/dynamodb-analytics-store.js';
import { DynamoDbProductCatalog } from '../dynamodb/dynamodb-product-catalog.js';
import { DynamoDbProductStore } from '../dynamodb/dynamodb-product-store.js';
import { DynamoDbReviewStore } from '../dynamodb/dynamodb-review-store.js';
import type { EmailSender } from '../email-sender.js';
import { consumerLimits } from '../event-consumer.js';

/** How long a function may wait, after an event, for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 500;

/** What a consumer function reads from its environment (names in `gatewayEnvironment`). */
export interface EventConsumerEnvironment {
  readonly consumer: ConsumerName;
  readonly consumedEventsTable: string;
  readonly productsTable?: string;
  readonly reviewsTable?: string;
  readonly analyticsTable?: string;
  /** `From` of order confirmations. */
  readonly senderEmail?: string;
  /** The bus for what the consumer emits (and the gateway's `InferenceCompleted`). */
  readonly eventBusName?: string;
  /** A custom EventBridge endpoint (the local bus); unset = AWS. */
  readonly eventBridgeEndpoint?: string;
  /** A custom DynamoDB endpoint (the embedded DynamoDB); unset = AWS. */
  readonly dynamoDbEndpoint?: string;
}

type Setting = Exclude<keyof EventConsumerEnvironment, 'consumer' | 'consumedEventsTable'>;

/** The settings each consumer cannot run without (the CDK's `consumerAccess` sets exactly these). */
export const requiredSettings: Readonly<Record<ConsumerName, readonly Setting[]>> = {
  'fm-trigger': ['reviewsTable', 'eventBusName', 'senderEmail'],
  'catalog-enrichment': ['productsTable', 'eventBusName'],
  'moderation-handler': ['reviewsTable'],
  analytics: ['analyticsTable'],
  'inference-post-processor': ['analyticsTable'],
  'embedding-regeneration': ['productsTable'],
};

const variables: Readonly<Record<Setting | 'consumer' | 'consumedEventsTable', string>> = {
  consumer: gatewayEnvironment.eventConsumer,
  consumedEventsTable: gatewayEnvironment.consumedEventsTable,
  productsTable: gatewayEnvironment.productsTable,
  reviewsTable: gatewayEnvironment.reviewsTable,
  analyticsTable: gatewayEnvironment.analyticsTable,
  senderEmail: gatewayEnvironment.senderEmail,
  eventBusName: gatewayEnvironment.eventBusName,
  eventBridgeEndpoint: gatewayEnvironment.eventBridgeEndpoint,
  dynamoDbEndpoint: gatewayEnvironment.dynamoDbEndpoint,
};

const emailAddress = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/**
 * Reads a consumer function's settings. Throws `ConfigurationError` naming the variable that is
 * missing or invalid — `EVENT_CONSUMER` not one of `eventConsumers` or `queueConsumers`,
 * `CONSUMED_EVENTS_TABLE` unset, a setting the consumer requires (`requiredSettings`) unset,
 * `SENDER_EMAIL` not an address — so a bad deployment fails at cold start rather than on an event.
 */
export function eventConsumerEnvironmentFrom(
  env: Readonly<Record<string, string | undefined>>,
): EventConsumerEnvironment {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const consumerName = read(variables.consumer);
  const consumers: readonly ConsumerName[] = [...eventConsumers, ...queueConsumers];
  const consumer = consumers.find((candidate) => candidate === consumerName);
  if (consumer === undefined) {
    throw new ConfigurationError(`${variables.consumer} must be one of ${consumers.join(', ')}`);
  }
  const consumedEventsTable = read(variables.consumedEventsTable);
  if (consumedEventsTable === undefined) {
    throw new ConfigurationError(`${variables.consumedEventsTable} is required`);
  }
  const settings: Partial<Record<Setting, string>> = {};
  for (const setting of Object.keys(variables) as (keyof typeof variables)[]) {
    if (setting === 'consumer' || setting === 'consumedEventsTable') continue;
    const value = read(variables[setting]);
    if (value !== undefined) settings[setting] = value;
  }
  for (const setting of requiredSettings[consumer]) {
    if (settings[setting] === undefined) {
      throw new ConfigurationError(`${variables[setting]} is required by the ${consumer} consumer`);
    }
  }
  if (settings.senderEmail !== undefined && !emailAddress.test(settings.senderEmail)) {
    throw new ConfigurationError(`${variables.senderEmail} must be an email address`);
  }
  return { consumer, consumedEventsTable, ...settings };
}

/**
 * A setting the entry needs as a value (the bus of a consumer that emits, the sender of one that
 * mails): `eventConsumerEnvironmentFrom` has already required it for that consumer; this says so
 * to the type checker, and throws `ConfigurationError` naming the variable if it is not set.
 */
export function requiredSetting(config: EventConsumerEnvironment, setting: Setting): string {
  const value = config[setting];
  if (value === undefined) {
    throw new ConfigurationError(`${variables[setting]} is required by the ${config.consumer} consumer`);
  }
  return value;
}

/** What the consumer composition root builds from: the settings, whichever consumer it is. */
export type ConsumerPlatformConfig = Omit<EventConsumerEnvironment, 'consumer'>;

export interface ConsumerPlatformOptions extends AwsClientSettings {
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * The FM gateway, for the consumers that call a model (built by their entry, so the others carry
   * no model client). When it can `flush`, its `InferenceCompleted` events are flushed after each
   * event. The platform does not close it.
   * @default - none
   */
  readonly model?: ConsumerModel & Partial<Pick<FmGateway, 'flush'>>;
  /** The bus, for the consumers that emit (built by their entry). @default - none */
  readonly events?: EventPublisher;
  /** Order confirmations (SES deployed, the outbox locally). @default - none */
  readonly emails?: EmailSender;
  /** @default emfWriter() - CloudWatch embedded metrics on stdout */
  readonly metrics?: MetricsSink;
}

/** A consumer's dependencies, with the work to finish after each event and a way to close. */
export interface ConsumerPlatform extends ConsumerDependencies {
  /** The gateway's event flush, when a model is given. */
  readonly afterEach?: () => Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root of the event consumers: the consumed-events store (exactly once per
 * consumer and event) and the tables that are configured (products, reviews, analytics) on one
 * DynamoDB client, EMF metrics, and what the entry injects (model, bus, emails). Opens no
 * connection until first use.
 */
export function createConsumerPlatform(
  config: ConsumerPlatformConfig,
  options: ConsumerPlatformOptions = {},
): ConsumerPlatform {
  const logger = options.logger ?? silentLogger;
  const documents = createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, options));
  const { productsTable, reviewsTable, analyticsTable } = config;
  const { model } = options;
  const flush = model?.flush?.bind(model);
  return {
    dedupe: new DynamoDbIdempotencyStore(documents, {
      tableName: config.consumedEventsTable,
      ttlSeconds: consumerLimits.dedupeTtlSeconds,
      logger,
    }),
    logger,
    metrics: options.metrics ?? emfWriter(),
    ...(productsTable
      ? {
          products: new DynamoDbProductStore(documents, { tableName: productsTable, logger }),
          productCatalog: new DynamoDbProductCatalog(documents, { tableName: productsTable }),
        }
      : {}),
    ...(reviewsTable
      ? { reviews: new DynamoDbReviewStore(documents, { tableName: reviewsTable, logger }) }
      : {}),
    ...(analyticsTable
      ? { analytics: new DynamoDbAnalyticsStore(documents, { tableName: analyticsTable }) }
      : {}),
    ...(model ? { model } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.emails ? { emails: options.emails } : {}),
    ...(flush ? { afterEach: () => flush(eventFlushMs) } : {}),
    async close() {
      documents.destroy();
    },
  };
}
