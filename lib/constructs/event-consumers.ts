import { type EventConsumer, eventConsumers, gatewayEnvironment } from '@mangaassist/contracts';
import type { ModelAlias } from '@mangaassist/fm-gateway/catalog';
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { pascalCase } from './pascal-case.js';
import { PlatformFunction } from './platform-function.js';

/**
 * The handler each consumer's function runs (also told its consumer by `EVENT_CONSUMER`): the
 * consumer that calls a model has an entry of its own, so the others carry no model, bus or email
 * client in their bundle. (Recommendations are a state machine: `RecommendationWorkflow`.)
 */
export const eventConsumerEntries: Readonly<Record<EventConsumer, string>> = {
  'fm-trigger': 'functions/event-consumer/src/fm-trigger-handler.ts',
  'moderation-handler': 'functions/event-consumer/src/handler.ts',
  analytics: 'functions/event-consumer/src/handler.ts',
  'inference-post-processor': 'functions/event-consumer/src/handler.ts',
  'embedding-regeneration': 'functions/event-consumer/src/handler.ts',
};

/** The consumers' tables, by role. */
export const consumerTables = ['products', 'reviews', 'analytics', 'consumedEvents'] as const;
export type ConsumerTable = (typeof consumerTables)[number];

/** How a consumer may use a table. */
export type TableAccess = 'read' | 'readWrite';

/** The environment variable naming each table. */
export const consumerTableEnvironment: Readonly<Record<ConsumerTable, string>> = {
  products: gatewayEnvironment.productsTable,
  reviews: gatewayEnvironment.reviewsTable,
  analytics: gatewayEnvironment.analyticsTable,
  consumedEvents: gatewayEnvironment.consumedEventsTable,
};

/** What one consumer may do besides writing its own logs and traces. */
export interface ConsumerAccess {
  /** Tables it reads (`read`) or reads and writes (`readWrite`); only these are in its environment. */
  readonly tables: Readonly<Partial<Record<ConsumerTable, TableAccess>>>;
  /**
   * Put events on the bus (`EVENT_BUS_NAME`): what it emits, and the gateway's
   * `InferenceCompleted` for each model answer.
   */
  readonly putEvents: boolean;
  /** Models it calls through the gateway, each granted with its fallbacks; empty = no Bedrock. */
  readonly models: readonly ModelAlias[];
  /** Send email through SES, from `senderEmail` of the configured identity only (`SENDER_EMAIL`). */
  readonly sendEmail: boolean;
}

/**
 * Least privilege per consumer. Every consumer records the events it handled in the consumed
 * events table (idempotency on the event id, replays included).
 *
 * - `fm-trigger`: payments (confirmation text, email) and reviews (moderation verdict, flag, emits
 *   `ModerationFlagged`). Catalog enrichment is the catalog enrichment queue's consumer
 *   (`CatalogEnrichmentConsumer`), not a bus consumer.
 * - `moderation-handler`: hides a flagged review and records why.
 * - `analytics`: aggregates `InferenceCompleted` into its table; its CloudWatch metrics are
 *   embedded-metric-format log lines, which need no permission beyond its log group.
 * - `inference-post-processor`: the day's attention list in the analytics table (degraded, costly
 *   or slow inferences); its metric is embedded-metric-format too.
 * - `embedding-regeneration`: marks the product's embedding stale (no model, emits nothing).
 */
export const consumerAccess: Readonly<Record<EventConsumer, ConsumerAccess>> = {
  'fm-trigger': {
    tables: { reviews: 'readWrite', consumedEvents: 'readWrite' },
    putEvents: true,
    models: ['fast'],
    sendEmail: true,
  },
  'moderation-handler': {
    tables: { reviews: 'readWrite', consumedEvents: 'readWrite' },
    putEvents: false,
    models: [],
    sendEmail: false,
  },
  analytics: {
    tables: { analytics: 'readWrite', consumedEvents: 'readWrite' },
    putEvents: false,
    models: [],
    sendEmail: false,
  },
  'inference-post-processor': {
    tables: { analytics: 'readWrite', consumedEvents: 'readWrite' },
    putEvents: false,
    models: [],
    sendEmail: false,
  },
  'embedding-regeneration': {
    tables: { products: 'readWrite', consumedEvents: 'readWrite' },
    putEvents: false,
    models: [],
    sendEmail: false,
  },
};

/** What Lambda does with an event the function failed on. */
export interface AsyncRetry {
  /** Further attempts after a function error (0 – 2). */
  readonly retryAttempts: number;
  /** How long an event may wait in Lambda's queue (throttling) before it is given up (1 min – 6 h). */
  readonly maxEventAge: Duration;
}

export interface EventConsumersProps {
  /** Deployment stage: descriptions and `MANGA_ENV`. */
  readonly stage: string;
  /** The consumers' tables. */
  readonly tables: Readonly<Record<ConsumerTable, ITable>>;
  /** The bus the consumers with `putEvents` publish to (`EVENT_BUS_NAME`). */
  readonly eventBus: IEventBus;
  /** Bedrock permission and gateway settings, for the consumers with `models`. */
  readonly bedrock: BedrockInvokeAccess;
  /** `From` of order confirmations (`SENDER_EMAIL`). */
  readonly senderEmail: string;
  /** The verified SES identity (address or domain) the consumers with `sendEmail` may send from. */
  readonly senderIdentity: string;
  /**
   * Who may do what.
   * @default consumerAccess
   */
  readonly access?: Readonly<Record<EventConsumer, ConsumerAccess>>;
  /**
   * For tests only: one handler every consumer function runs instead of its own (unit tests
   * switch bundling off); a real deployment needs each consumer's entry.
   * @default - `eventConsumerEntries` of the consumer
   */
  readonly entry?: string;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Lambda's own retries of a failed invocation (EventBridge invokes asynchronously: its retry
   * policy covers delivery to Lambda, these cover the function failing).
   * @default { retryAttempts: 2, maxEventAge: Duration.hours(1) }
   */
  readonly asyncRetry?: AsyncRetry;
  /**
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to logs and failure queues when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One consumer's function and where its failures go. */
export interface EventConsumerFunction {
  readonly consumer: EventConsumer;
  readonly function: PlatformFunction;
  /**
   * Lambda's on-failure destination: an invocation record (`requestPayload` = the event,
   * `responsePayload` = the error) for each event the function still failed on after its retries.
   */
  readonly failureQueue: Queue;
}

/**
 * The bus's Lambda consumers: one function per `eventConsumers` entry, all running
 * `functions/event-consumer/src/handler.ts` and told which consumer they are by
 * `EVENT_CONSUMER`, each with exactly the access `consumerAccess` lists and the environment
 * naming those resources. None runs in a VPC: they reach only AWS APIs (the gateway they build
 * keeps its response cache in memory without `REDIS_URL`).
 *
 * EventBridge invokes Lambda asynchronously, so a consumer that throws is retried by Lambda
 * (`asyncRetry`), and an event that still fails lands in the consumer's `failureQueue`; the
 * rule target's own DLQ (see `EventRouting`) catches what EventBridge could not deliver at all.
 */
export class EventConsumers extends Construct {
  readonly consumers: Readonly<Record<EventConsumer, EventConsumerFunction>>;

  constructor(scope: Construct, id: string, props: EventConsumersProps) {
    super(scope, id);
    const access = props.access ?? consumerAccess;
    const consumers: Partial<Record<EventConsumer, EventConsumerFunction>> = {};
    for (const consumer of eventConsumers) {
      consumers[consumer] = this.consumer(consumer, access[consumer], props);
    }
    this.consumers = consumers as Record<EventConsumer, EventConsumerFunction>;
  }

  private consumer(
    consumer: EventConsumer,
    access: ConsumerAccess,
    props: EventConsumersProps,
  ): EventConsumerFunction {
    const name = pascalCase(consumer);
    const tables = consumerTables.flatMap((table): [ConsumerTable, TableAccess][] => {
      const mode = access.tables[table];
      return mode === undefined ? [] : [[table, mode]];
    });
    const fn = new PlatformFunction(this, name, {
      entry: props.entry ?? eventConsumerEntries[consumer],
      description: `MangaAssist ${props.stage}: event consumer ${consumer} (EventBridge)`,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.removalPolicy !== undefined ? { logRemovalPolicy: props.removalPolicy } : {}),
      environment: {
        ...(access.models.length > 0 ? props.bedrock.handlerEnvironment : {}),
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.eventConsumer]: consumer,
        ...Object.fromEntries(
          tables.map(([table]) => [consumerTableEnvironment[table], props.tables[table].tableName]),
        ),
        ...(access.putEvents ? { [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName } : {}),
        ...(access.sendEmail ? { [gatewayEnvironment.senderEmail]: props.senderEmail } : {}),
      },
    });

    for (const [table, mode] of tables) {
      if (mode === 'read') props.tables[table].grantReadData(fn);
      else props.tables[table].grantReadWriteData(fn);
    }
    if (access.putEvents) props.eventBus.grantPutEventsTo(fn);
    if (access.models.length > 0) props.bedrock.grantInvoke(fn, { models: access.models });
    if (access.sendEmail) this.grantSendEmail(fn, props.senderEmail, props.senderIdentity);

    const failureQueue = new DeadLetterQueue(this, `${name}Failures`, {
      purpose: `events the ${consumer} consumer failed on after Lambda's retries`,
      ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
    }).queue;
    const retry = props.asyncRetry ?? { retryAttempts: 2, maxEventAge: Duration.hours(1) };
    fn.function.configureAsyncInvoke({
      retryAttempts: retry.retryAttempts,
      maxEventAge: retry.maxEventAge,
      onFailure: new SqsDestination(failureQueue),
    });
    return { consumer, function: fn, failureQueue };
  }

  /**
   * `ses:SendEmail` (SES v2 `SendEmail` with simple or templated content) on the one identity,
   * and only with `senderEmail` as the From address.
   */
  private grantSendEmail(fn: PlatformFunction, senderEmail: string, identity: string): Grant {
    const identityArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'identity',
      resourceName: identity,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    return Grant.addToPrincipal({
      grantee: fn,
      actions: ['ses:SendEmail'],
      resourceArns: [identityArn],
      conditions: { StringEquals: { 'ses:FromAddress': senderEmail } },
    });
  }
}
