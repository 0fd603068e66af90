import {
  type ChatConfig,
  type ChatGroundingOptions,
  type ClientMessageQueue,
  chatConfigSchema,
  fifoMessageOf,
} from '@mangaassist/chat';
import {
  createChatCore,
  createChatPlatform,
  createTaskPlatform,
  createWebSocketPlatform,
} from '@mangaassist/chat/platform';
import { discardMetrics, type Logger } from '@mangaassist/commons';
import { consumerEventBridgeSettings, createConsumerPlatform } from '@mangaassist/consumers/platform';
import {
  catalogEnrichmentQueueLimits,
  catalogEnrichmentQueueName,
  connectionsTable,
  consumedEventsTable,
  eventRules,
  inferenceAnalyticsTable,
  productsTable,
  reviewsTable,
  sessionsTable,
  type TaskName,
  tableName,
  taskNames,
  webhookIdempotencyTable,
  webhookSources,
  websocketMessageQueueName,
  wsTicketsTable,
} from '@mangaassist/contracts';
import { createEventBridgePublisher } from '@mangaassist/events/eventbridge';
import type { FmGatewayOptions } from '@mangaassist/fm-gateway';
import { makeChatStreamHandler } from '@mangaassist/fn-chat-stream';
import { makeChatSyncHandler } from '@mangaassist/fn-chat-sync';
import { makeEventConsumerHandlers } from '@mangaassist/fn-event-consumer';
import { makeCatalogEnrichmentHandler } from '@mangaassist/fn-event-consumer/catalog-enrichment';
import { makeTaskHandler } from '@mangaassist/fn-tasks';
import { makeWsConnectionHandler } from '@mangaassist/fn-ws-connection';
import { makeWsMessageHandler } from '@mangaassist/fn-ws-message';
import { makeWsStreamHandler } from '@mangaassist/fn-ws-stream';
import { makeWsTicketHandler } from '@mangaassist/fn-ws-ticket';
import { createLocalApiKeys, devTenants, type LocalApiKeys } from '@mangaassist/tenants';
import { createTicketPlatform } from '@mangaassist/tenants/platform';
import {
  type CatalogEnrichmentQueue,
  catalogEnrichmentFifoMessage,
  generateDevWebhookSecrets,
  StaticWebhookSecrets,
  webhookSchemes,
} from '@mangaassist/webhooks';
import { createWebhookPlatform } from '@mangaassist/webhooks/platform';
import { LocalOutbox } from '../outbox/local-outbox.js';
import { bucketObjectStore, localDocumentsBucket } from '../s3/bucket-object-store.js';
import type { FileDocumentStore } from '../s3/file-document-store.js';
import { LocalFifoQueue } from '../sqs/local-fifo-queue.js';
import { LocalStateMachines } from '../stepfunctions/local-state-machines.js';
import { LocalConnectionPusher } from '../websocket/local-connection-pusher.js';
import { createDevJobs } from './dev-jobs.js';
import { createDevRecommendations } from './dev-recommendations.js';
import { createDevReenrichment } from './dev-reenrichment.js';
import { type LocalAws, localCredentials, localRegion, localStage } from './local-aws.js';
import { localStreamingRuntime } from './streaming-lambda.js';

/** The guardrail `pnpm dev` applies: the Bedrock emulator's prompt-attack filter. */
export const localGuardrail = { id: 'localpromptattack', version: '1' } as const;

/** The bus the deployed stacks call MangaAssist-AI-Events, locally. */
export const localEventBusName = 'mangaassist-local-ai-events';

/**
 * The chat doors' settings over the local endpoints: the emulator, the embedded DynamoDB's tables
 * (as the stacks name them for stage `local`), the local bus and guardrail, and Redis when given.
 */
export function localChatConfig(
  local: Pick<LocalAws, 'emulator' | 'dynamoDb' | 'eventBridge'>,
  options: { readonly redisUrl?: string; readonly chatDeadlineMs?: number } = {},
): ChatConfig {
  return chatConfigSchema.parse({
    bedrockEndpoint: local.emulator.url,
    dynamoDbEndpoint: local.dynamoDb.endpoint,
    sessionsTable: tableName(localStage, sessionsTable),
    connectionsTable: tableName(localStage, connectionsTable),
    ticketsTable: tableName(localStage, wsTicketsTable),
    eventBridgeEndpoint: local.eventBridge.endpoint,
    eventBusName: localEventBusName,
    // The emulator's prompt-attack guardrail, as a stage with `guardrail` configured deploys one.
    guardrailId: localGuardrail.id,
    guardrailVersion: localGuardrail.version,
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.chatDeadlineMs ? { chatDeadlineMs: options.chatDeadlineMs } : {}),
  });
}

export interface DevDoorsOptions {
  /** A real Redis for the response cache, budgets, tickets and resume frames; unset = process memory. */
  readonly redisUrl?: string;
  /** Budget for one chat answer (or a stream's first token). @default 3000 */
  readonly chatDeadlineMs?: number;
  /** Gateway overrides (clock, breakers) for tests. */
  readonly gateway?: Partial<FmGatewayOptions>;
  /** Shrinks the job callbacks' retry schedule, for tests. @default 1 */
  readonly callbackRetryScale?: number;
  /** From this many products a catalog re-enrichment is one batch job. @default 1000 */
  readonly batchThreshold?: number;
  /** The local bucket of the jobs' documents (presigned URLs on the dev server). */
  readonly documents: FileDocumentStore;
  /** The catalog the chat doors answer from. @default - none: answers unchecked */
  readonly grounding?: ChatGroundingOptions;
  readonly logger: Logger;
}

/**
 * Every door the stacks deploy, built by the same composition roots over the local endpoints:
 * one chat core (gateway, cache, tenants' budgets) shared by the chat doors, the webhooks and the
 * consumers, as one deployment shares Redis. The handlers are the deployed ones.
 */
export function createDevDoors(local: LocalAws, options: DevDoorsOptions) {
  const { logger } = options;
  const keys: LocalApiKeys = createLocalApiKeys(devTenants);
  const config = localChatConfig(local, options);
  // The local endpoints accept any region and these credentials; deployed, the SDK chains apply.
  const aws = { region: localRegion, credentials: localCredentials };
  const core = createChatCore(config, {
    ...aws,
    logger,
    // The warning each signal logs is what `pnpm dev` shows; EMF lines would only clutter it.
    metrics: discardMetrics,
    tenants: keys.directory,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.grounding ? { grounding: options.grounding } : {}),
  });
  const chat = createChatPlatform(config, { core });
  const ticketPlatform = createTicketPlatform(config, {
    ...aws,
    logger,
    tenants: keys.directory,
    ...(core.redis ? { redis: core.redis } : {}),
  });
  const { tickets } = ticketPlatform;
  const pusher = new LocalConnectionPusher();
  const webSocket = createWebSocketPlatform(config, { core, pusher, tickets });
  // The message route queues each client frame; the stream worker consumes the queue, as deployed.
  const messageQueue = new LocalFifoQueue({
    name: websocketMessageQueueName(localStage),
    consume: makeWsStreamHandler(webSocket),
    // As the stack's redrive policy.
    maxReceiveCount: 5,
    logger,
  });
  const clientMessages: ClientMessageQueue = {
    enqueue: async (message) => messageQueue.send(fifoMessageOf(message)),
  };

  // The event consumers the stacks deploy, as targets of the same rules on the local bus.
  const outbox = new LocalOutbox();
  const consumerEvents = createEventBridgePublisher({
    eventBusName: localEventBusName,
    client: consumerEventBridgeSettings,
    endpoint: local.eventBridge.endpoint,
    ...aws,
    logger,
  });
  const consumers = createConsumerPlatform(
    {
      consumedEventsTable: tableName(localStage, consumedEventsTable),
      productsTable: tableName(localStage, productsTable),
      reviewsTable: tableName(localStage, reviewsTable),
      analyticsTable: tableName(localStage, inferenceAnalyticsTable),
      dynamoDbEndpoint: local.dynamoDb.endpoint,
    },
    {
      logger,
      ...aws,
      model: core.gateway,
      events: consumerEvents.publisher,
      emails: outbox,
      metrics: discardMetrics,
    },
  );
  const consumerHandlers = makeEventConsumerHandlers(consumers);

  // The catalog webhook queues each item for its enrichment; the catalog enrichment function
  // consumes the queue, one product's updates at a time, as deployed.
  const enrichmentQueue = new LocalFifoQueue({
    name: catalogEnrichmentQueueName(localStage),
    consume: makeCatalogEnrichmentHandler(consumers),
    // As the stack's queue and mapping: content-based deduplication, the same redrive policy and concurrency.
    contentBasedDeduplication: true,
    maxReceiveCount: catalogEnrichmentQueueLimits.maxReceiveCount,
    maxConcurrency: catalogEnrichmentQueueLimits.maxConcurrency,
    logger,
  });
  const catalogEnrichment: CatalogEnrichmentQueue = {
    // SendMessageBatch: each entry is accepted or refused on its own (a full queue refuses).
    send: async (messages) =>
      messages.flatMap((message) => {
        try {
          enrichmentQueue.send(catalogEnrichmentFifoMessage(message));
          return [];
        } catch (error) {
          return [
            {
              message,
              errorCode: error instanceof RangeError ? 'InvalidParameterValue' : 'RequestThrottled',
            },
          ];
        }
      }),
  };

  const webhookSecrets = new StaticWebhookSecrets(generateDevWebhookSecrets(), { formats: webhookSchemes });
  const webhooks = createWebhookPlatform(
    {
      sources: webhookSources,
      idempotencyTable: tableName(localStage, webhookIdempotencyTable),
      eventBusName: localEventBusName,
      eventBridgeEndpoint: local.eventBridge.endpoint,
      dynamoDbEndpoint: local.dynamoDb.endpoint,
    },
    { logger, ...aws, secrets: webhookSecrets, gateway: core.gateway, catalogEnrichment },
  );
  // The state machines the stacks deploy, in process (`GET /_local/executions`); a Distributed
  // Map reads its items from the documents bucket, as it would from S3.
  const machines = new LocalStateMachines({
    logger,
    objects: bucketObjectStore(localDocumentsBucket, options.documents),
  });
  const recommendations = createDevRecommendations({
    documents: core.documents(),
    model: core.gateway,
    events: consumerEvents.publisher,
    machines,
    logger,
  });
  const targets: Record<string, (input: unknown) => Promise<unknown>> = {
    'moderation-alert-webhook': async (input) => {
      outbox.notify({ target: 'moderation-alert-webhook', payload: input });
    },
    'recommendation-regeneration': recommendations.target,
  };
  for (const [name, consume] of Object.entries(consumerHandlers)) {
    if (consume) targets[name] = consume;
  }
  const scheduled = eventRules.filter((rule) => rule.schedule !== undefined);
  local.eventBridge.bus.addRules(
    eventRules.filter((rule) => rule.schedule === undefined),
    targets,
    { eventBusName: localEventBusName },
  );
  // EventBridge runs scheduled rules on the default bus.
  local.eventBridge.bus.addRules(scheduled, targets);

  const reenrichment = createDevReenrichment({
    documents: core.documents(),
    files: options.documents,
    model: core.gateway,
    gateway: config,
    bedrockUrl: local.emulator.url,
    machines,
    ...(options.batchThreshold === undefined ? {} : { batchThreshold: options.batchThreshold }),
    logger,
  });
  // Bedrock reports its batch jobs' state changes on the default bus, as the emulator does here.
  local.eventBridge.bus.addRules(reenrichment.rules, { 'batch-completion': reenrichment.target });

  const jobs = createDevJobs({
    config,
    core,
    tenants: keys.directory,
    documents: options.documents,
    machines,
    events: consumerEvents.publisher,
    ...(options.callbackRetryScale !== undefined ? { callbackRetryScale: options.callbackRetryScale } : {}),
    logger,
  });

  const task = (name: TaskName) => makeTaskHandler({ task: name, ...createTaskPlatform(config, { core }) });
  return {
    config,
    keys,
    gateway: core.gateway,
    pusher,
    /** The SQS queues the stacks deploy, in process (`GET /_local/queues`). */
    queues: [messageQueue, enrichmentQueue, ...jobs.queues],
    /** Each dev tenant's callback signing secrets (`GET /_local/callback-secrets`). */
    callbackSecrets: jobs.callbackSecrets,
    /** The state machines the stacks deploy, in process (`GET /_local/executions`). */
    stateMachines: machines,
    outbox,
    webhookSecrets,
    scheduledRules: [...scheduled, ...reenrichment.rules]
      .filter((rule) => rule.schedule !== undefined)
      .map((rule) => rule.name),
    handlers: {
      chat: makeChatSyncHandler(chat),
      chatStream: makeChatStreamHandler({
        ...chat,
        firstTokenDeadlineMs: chat.deadlineMs,
        runtime: localStreamingRuntime,
      }),
      tickets: makeWsTicketHandler(ticketPlatform),
      tasks: Object.fromEntries(taskNames.map((name) => [name, task(name)])) as Record<
        TaskName,
        ReturnType<typeof task>
      >,
      // One process serves both WebSocket doors here, so $disconnect goes through the chat: it also
      // stops the resumes this process follows for the connection (deployed, createConnectionPlatform
      // builds the $connect/$disconnect function, which follows none).
      wsConnection: makeWsConnectionHandler({ connections: webSocket.webSocket, logger }),
      wsMessage: makeWsMessageHandler({ queue: clientMessages, pusher, logger }),
      webhookReceivers: webhooks.receivers,
      jobs: jobs.handler,
      recommendations: recommendations.handler,
    },
    /** After the bus has drained: closes the clients, Redis and the gateway (flushing its events). */
    async close() {
      // Executions still running are stopped before what their steps use closes.
      await machines.close(5000);
      reenrichment.close();
      await jobs.close();
      await Promise.all([webSocket.close(), ticketPlatform.close(), webhooks.close()]);
      await Promise.all([consumers.close(), chat.close()]);
      consumerEvents.close();
      await core.close();
    },
  };
}

export type DevDoors = ReturnType<typeof createDevDoors>;
