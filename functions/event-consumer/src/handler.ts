/**
 * Trigger: EventBridge rules on the MangaAssist bus (asynchronous invocation), one function per
 * consumer, which `EVENT_CONSUMER` names; every rule target of that consumer invokes it.
 * Runs the consumer from core's registry (fm-trigger: confirmations, moderation, product
 * descriptions; moderation-handler: hides flagged reviews; analytics, inference-post-processor,
 * embedding- and recommendation-regeneration) behind the shared wrapper.
 * Failure and idempotency: each event is handled once per consumer (`<consumer>:<event id>` in the
 * consumed-events table, kept past the archive's retention, so redeliveries and replays are
 * no-ops); malformed, out-of-contract, too-deep and permanently failing events are logged,
 * recorded and acknowledged; transient failures throw, so Lambda retries and the failure queue
 * keeps what never succeeds.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { emfWriter } from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { consumerLimits } from '@mangaassist/consumers';
import {
  DynamoDbAnalyticsStore,
  DynamoDbProductCatalog,
  DynamoDbProductStore,
  DynamoDbReviewStore,
} from '@mangaassist/consumers/dynamodb';
import { createSesClient, SesEmailSender } from '@mangaassist/consumers/ses';
import { EventBridgeEventPublisher } from '@mangaassist/events/eventbridge';
import { gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { createGateway, type GatewayDependencies } from '@mangaassist/fm-gateway/platform';
import { DynamoDbIdempotencyStore } from '@mangaassist/idempotency/dynamodb';
import { eventConsumerEnvironmentFrom, makeEventConsumerHandler } from './event-consumer.js';

/** How long the function may wait, after an event, for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 500;

const env = eventConsumerEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `event-consumer-${env.consumer}` });

const documents = createDocumentClient(env.dynamoDbEndpoint ? { endpoint: env.dynamoDbEndpoint } : {});
const table = <T>(name: string | undefined, build: (tableName: string) => T): T | undefined =>
  name === undefined ? undefined : build(name);

// The gateway is built on first use, so only the consumers that call a model configure one.
let gateway: GatewayDependencies | undefined;
const model = () => {
  gateway ??= createGateway(gatewayConfigFromEnvironment(process.env), { logger });
  return gateway.gateway;
};

const events = table(
  env.eventBusName,
  (eventBusName) =>
    new EventBridgeEventPublisher(
      // The publisher retries failed entries itself.
      new EventBridgeClient({
        maxAttempts: 1,
        ...(env.eventBridgeEndpoint ? { endpoint: env.eventBridgeEndpoint } : {}),
      }),
      { eventBusName, logger },
    ),
);
const products = table(
  env.productsTable,
  (tableName) => new DynamoDbProductStore(documents, { tableName, logger }),
);
const productCatalog = table(
  env.productsTable,
  (tableName) => new DynamoDbProductCatalog(documents, { tableName }),
);
const reviews = table(
  env.reviewsTable,
  (tableName) => new DynamoDbReviewStore(documents, { tableName, logger }),
);
const analytics = table(
  env.analyticsTable,
  (tableName) => new DynamoDbAnalyticsStore(documents, { tableName }),
);
const emails = table(
  env.senderEmail,
  (fromAddress) => new SesEmailSender(createSesClient(), { fromAddress }),
);

export const handler = makeEventConsumerHandler({
  consumer: env.consumer,
  dedupe: new DynamoDbIdempotencyStore(documents, {
    tableName: env.consumedEventsTable,
    ttlSeconds: consumerLimits.dedupeTtlSeconds,
    logger,
  }),
  logger,
  metrics: emfWriter(),
  ...(events ? { events } : {}),
  ...(products ? { products } : {}),
  ...(productCatalog ? { productCatalog } : {}),
  ...(reviews ? { reviews } : {}),
  ...(analytics ? { analytics } : {}),
  ...(emails ? { emails } : {}),
  get model() {
    return model();
  },
  afterEach: async () => {
    await gateway?.gateway.flush(eventFlushMs);
  },
});
