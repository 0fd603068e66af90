import { silentLogger } from '@mangaassist/commons';
import { type ConsumerDependencies, type ConsumerResult, consumerFactory } from '@mangaassist/consumers';
import { type EventConsumer, eventConsumers, gatewayEnvironment } from '@mangaassist/contracts';
import { ConfigurationError } from '@mangaassist/fm-gateway';

/** A consumer as its Lambda function runs it: the EventBridge event in, the outcome out. */
export type EventConsumerHandler = (event: unknown) => Promise<ConsumerResult>;

export interface EventConsumerHandlerDependencies extends ConsumerDependencies {
  /** Which consumer this function is (`EVENT_CONSUMER`). */
  readonly consumer: EventConsumer;
  /**
   * Work that must finish before Lambda freezes the environment, after every event, success or
   * failure (the gateway's `InferenceCompleted` flush). Its failure is logged, never thrown.
   */
  readonly afterEach?: () => Promise<void>;
}

/**
 * The handler of one consumer, from the registry (`consumerFactories`): the consumer function,
 * then `afterEach`. Throws `ConfigurationError` at build time (cold start) for a consumer that is
 * not registered or lacks a dependency. At run time it resolves with the `ConsumerResult`
 * (processed, skipped, duplicate, rejected: all acknowledged) and rejects only for what a retry
 * may fix, so Lambda's asynchronous retries and the failure destination take over.
 */
export function makeEventConsumerHandler(
  dependencies: EventConsumerHandlerDependencies,
): EventConsumerHandler {
  const logger = dependencies.logger ?? silentLogger;
  const consume = consumerFactory(dependencies.consumer)(dependencies);
  const { afterEach } = dependencies;
  return async (event) => {
    try {
      return await consume(event);
    } finally {
      if (afterEach) {
        await afterEach().catch((error: unknown) =>
          logger.warn('event consumer: after-event work failed', {
            consumer: dependencies.consumer,
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      }
    }
  };
}

/**
 * One handler per consumer over shared dependencies — what `pnpm dev` hands the local bus, which
 * invokes `handlers[target.handler]` for each matched Lambda target. Throws `ConfigurationError`
 * as `makeEventConsumerHandler` does.
 */
export function makeEventConsumerHandlers(
  dependencies: ConsumerDependencies & { readonly afterEach?: () => Promise<void> },
  consumers: readonly EventConsumer[] = eventConsumers,
): Record<EventConsumer, EventConsumerHandler | undefined> {
  const handlers: Record<EventConsumer, EventConsumerHandler | undefined> = {
    'moderation-handler': undefined,
    'inference-post-processor': undefined,
    analytics: undefined,
    'embedding-regeneration': undefined,
    'recommendation-regeneration': undefined,
    'fm-trigger': undefined,
  };
  for (const consumer of consumers) {
    handlers[consumer] = makeEventConsumerHandler({ ...dependencies, consumer });
  }
  return handlers;
}

/** What a consumer function reads from its environment (names in `gatewayEnvironment`). */
export interface EventConsumerEnvironment {
  readonly consumer: EventConsumer;
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
export const requiredSettings: Readonly<Record<EventConsumer, readonly Setting[]>> = {
  'fm-trigger': ['productsTable', 'reviewsTable', 'eventBusName', 'senderEmail'],
  'moderation-handler': ['reviewsTable'],
  analytics: ['analyticsTable'],
  'inference-post-processor': ['analyticsTable'],
  'embedding-regeneration': ['productsTable'],
  'recommendation-regeneration': ['productsTable', 'eventBusName'],
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
 * missing or invalid — `EVENT_CONSUMER` not one of `eventConsumers`, `CONSUMED_EVENTS_TABLE`
 * unset, a setting the consumer requires (`requiredSettings`) unset, `SENDER_EMAIL` not an
 * address — so a bad deployment fails at cold start rather than on an event.
 */
export function eventConsumerEnvironmentFrom(
  env: Readonly<Record<string, string | undefined>>,
): EventConsumerEnvironment {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const consumerName = read(variables.consumer);
  const consumer = eventConsumers.find((candidate) => candidate === consumerName);
  if (consumer === undefined) {
    throw new ConfigurationError(`${variables.consumer} must be one of ${eventConsumers.join(', ')}`);
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
