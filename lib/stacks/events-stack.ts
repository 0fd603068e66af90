import { type EventConsumer, eventConsumers, jobPriorities, webhookSources } from '@mangaassist/contracts';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { BedrockInvokeAccess } from '../constructs/bedrock-invoke-access.js';
import { CatalogEnrichmentConsumer } from '../constructs/catalog-enrichment-consumer.js';
import { CrossAccountForwarding } from '../constructs/cross-account-forwarding.js';
import { EventAlarms, type WatchedQueue, type WatchedRule } from '../constructs/event-alarms.js';
import { type ConsumerTable, EventConsumers } from '../constructs/event-consumers.js';
import { EventRouting } from '../constructs/event-routing.js';
import { ModerationAlertWebhook } from '../constructs/moderation-alert-webhook.js';
import { OperationsDashboard } from '../constructs/operations-dashboard.js';
import { pascalCase } from '../constructs/pascal-case.js';
import { readPublishedName } from '../constructs/published-names.js';
import { RecommendationWorkflow } from '../constructs/recommendation-workflow.js';
import { ReenrichmentWorkflow } from '../constructs/reenrichment-workflow.js';
import { FunctionAlarms, platformFunctionsIn, TableAlarms } from '../constructs/resource-alarms.js';
import { SharedCache } from '../constructs/shared-cache.js';

/** The contract's target id of the critical-moderation notification. */
export const moderationAlertTargetId = 'moderation-alert-webhook';

export interface EventsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The stateful stack's AI event bus. */
  readonly eventBus: IEventBus;
  /** The consumers' tables: products, reviews, inference analytics, consumed events. */
  readonly tables: Readonly<Record<ConsumerTable, ITable>>;
  /** Each segment's latest recommendation list, which the recommendation workflow writes. */
  readonly recommendationsTable: ITable;
  /**
   * The documents bucket, by name (the stateful stack's `documentsBucketName`): the catalog
   * re-enrichment keeps its runs' files there.
   */
  readonly documentsBucketName: string;
  /** The catalog enrichment queue (SQS FIFO) and its dead-letter queue, from the stateful stack. */
  readonly catalogEnrichment: { readonly queue: IQueue; readonly deadLetters: IQueue };
  /** The API key the moderation alert webhook receives. */
  readonly moderationWebhookKey: ISecret;
  /** Where the alarms notify (the platform's alarm topic). */
  readonly alarmTopic: ITopic;
  /**
   * For tests only: one handler every consumer function (the catalog enrichment's included) runs
   * instead of its own (unit tests switch bundling off); a real deployment needs each consumer's
   * entry.
   * @default - `eventConsumerEntries` of each consumer
   */
  readonly consumerEntry?: string;
}

/**
 * The stateless side of the event pipeline: the consumer functions (the catalog enrichment
 * queue's included), the recommendation workflow the six-hourly schedule starts, the catalog
 * re-enrichment an operator starts, the bus's rules
 * from the contracts with their retry policies and DLQs, the outbound moderation alert (API
 * destination), the optional cross-account forwarding rule, and the alarms on every DLQ and rule.
 */
export class EventsStack extends Stack {
  readonly bedrockAccess: BedrockInvokeAccess;
  readonly consumers: EventConsumers;
  /** The catalog enrichment queue's consumer. */
  readonly catalogEnrichment: CatalogEnrichmentConsumer;
  readonly moderationAlert: ModerationAlertWebhook;
  readonly recommendations: RecommendationWorkflow;
  readonly reenrichment: ReenrichmentWorkflow;
  readonly routing: EventRouting;
  readonly forwarding?: CrossAccountForwarding;
  readonly alarms: EventAlarms;
  /** The stage's operations dashboard (`MangaAssist-<stage>`). */
  readonly dashboard: OperationsDashboard;
  /** Errors and throttles of every function of this stack. */
  readonly functionAlarms: FunctionAlarms;
  /** Throttles of the consumers' tables. */
  readonly tableAlarms: TableAlarms;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    const {
      config,
      eventBus,
      tables,
      recommendationsTable,
      documentsBucketName,
      catalogEnrichment,
      moderationWebhookKey,
      alarmTopic,
      consumerEntry,
      ...stackProps
    } = props;
    super(scope, id, stackProps);
    const { events } = config;
    this.bedrockAccess = new BedrockInvokeAccess(this, 'BedrockAccess', {
      regionTargets: config.bedrock.regionTargets,
      ...(config.bedrock.allowedGeographies ? { allowedGeographies: config.bedrock.allowedGeographies } : {}),
      ...(config.bedrock.modelCatalogOverridesJson
        ? { catalogOverridesJson: config.bedrock.modelCatalogOverridesJson }
        : {}),
    });

    this.consumers = new EventConsumers(this, 'Consumers', {
      stage: config.stage,
      tables,
      eventBus,
      bedrock: this.bedrockAccess,
      senderEmail: events.senderEmail,
      senderIdentity: events.senderIdentity,
      ...(consumerEntry ? { entry: consumerEntry } : {}),
      memorySize: events.consumerMemorySize,
      timeout: events.consumerTimeout,
      tracing: config.tracing,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.catalogEnrichment = new CatalogEnrichmentConsumer(this, 'CatalogEnrichment', {
      stage: config.stage,
      queue: catalogEnrichment.queue,
      productsTable: tables.products,
      consumedEventsTable: tables.consumedEvents,
      eventBus,
      bedrock: this.bedrockAccess,
      ...(consumerEntry ? { entry: consumerEntry } : {}),
      memorySize: events.consumerMemorySize,
      timeout: events.consumerTimeout,
      tracing: config.tracing,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });

    this.moderationAlert = new ModerationAlertWebhook(this, 'ModerationAlert', {
      stage: config.stage,
      endpoint: events.moderationWebhook.url,
      apiKeyHeader: events.moderationWebhook.apiKeyHeader,
      apiKey: moderationWebhookKey,
      rateLimitPerSecond: events.moderationWebhook.rateLimitPerSecond,
    });

    this.recommendations = new RecommendationWorkflow(this, 'Recommendations', {
      stage: config.stage,
      productsTable: tables.products,
      recommendationsTable,
      eventBus,
      bedrock: this.bedrockAccess,
      alarmTopic,
      memorySize: events.consumerMemorySize,
      tracing: config.tracing,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });

    this.reenrichment = new ReenrichmentWorkflow(this, 'Reenrichment', {
      stage: config.stage,
      productsTable: tables.products,
      documentsBucket: Bucket.fromBucketName(this, 'DocumentsBucket', documentsBucketName),
      eventBus,
      bedrock: this.bedrockAccess,
      alarmTopic,
      tracing: config.tracing,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });

    const consumerFunctions: Partial<Record<EventConsumer, IFunction>> = {};
    for (const consumer of eventConsumers) {
      consumerFunctions[consumer] = this.consumers.consumers[consumer].function.invocationTarget;
    }
    this.routing = new EventRouting(this, 'Routing', {
      stage: config.stage,
      eventBus,
      consumers: consumerFunctions as Record<EventConsumer, IFunction>,
      apiDestinations: { [moderationAlertTargetId]: this.moderationAlert.apiDestination },
      stateMachines: { 'recommendation-regeneration': this.recommendations.stateMachine },
      removalPolicy: config.removalPolicy,
    });

    if (events.crossAccountBusArn !== undefined) {
      this.forwarding = new CrossAccountForwarding(this, 'CrossAccountForwarding', {
        stage: config.stage,
        eventBus,
        targetBusArn: events.crossAccountBusArn,
        removalPolicy: config.removalPolicy,
      });
    }

    const queues: WatchedQueue[] = [
      ...Object.values(this.consumers.consumers).map((consumer) => ({
        name: `${pascalCase(consumer.consumer)}Failures`,
        description: `Events the ${consumer.consumer} consumer failed on after Lambda's retries`,
        queue: consumer.failureQueue,
      })),
      ...Object.values(this.routing.rules).flatMap((routed) =>
        Object.entries(routed.deadLetterQueues).map(([targetId, queue]) => ({
          name: `${pascalCase(routed.spec.name)}${pascalCase(targetId)}Dlq`,
          description: `Events rule ${routed.spec.name} could not deliver to ${targetId}`,
          queue,
        })),
      ),
      {
        name: 'CatalogEnrichmentDlq',
        description: 'Catalog updates the catalog enrichment consumer failed to enrich',
        queue: catalogEnrichment.deadLetters,
      },
      ...(this.forwarding
        ? [
            {
              name: 'CrossAccountForwardingDlq',
              description: 'Events the cross-account forwarding rule could not deliver',
              queue: this.forwarding.deadLetterQueue,
            },
          ]
        : []),
    ];
    const rules: WatchedRule[] = [
      ...Object.values(this.routing.rules).map((routed) => ({
        name: pascalCase(routed.spec.name),
        rule: routed.rule,
        ...(routed.eventBus ? { eventBus: routed.eventBus } : {}),
      })),
      ...(this.forwarding ? [{ name: 'CrossAccountForwarding', rule: this.forwarding.rule, eventBus }] : []),
    ];
    this.alarms = new EventAlarms(this, 'Alarms', {
      stage: config.stage,
      topic: alarmTopic,
      queues,
      rules,
      eventBus,
    });
    this.dashboard = new OperationsDashboard(this, 'Dashboard', {
      stage: config.stage,
      restApi: { name: `mangaassist-${config.stage}`, stage: config.stage },
      webSocketApiId: readPublishedName(this, config.stage, 'websocket/api-id'),
      webhookFunctions: Object.fromEntries(
        webhookSources.map((source) => [
          source,
          readPublishedName(this, config.stage, `webhooks/${source}/function`),
        ]),
      ),
      jobQueues: Object.fromEntries(
        [...jobPriorities, 'callbacks'].map((lane) => [
          lane,
          readPublishedName(this, config.stage, `jobs/${lane}/queue`),
        ]),
      ),
      eventBusName: eventBus.eventBusName,
      deadLetterQueues: queues,
      analyticsLogGroup: this.consumers.consumers.analytics.function.logGroup,
      cacheName: SharedCache.nameFor(config.stage),
    });
    // The cache admits only IAM-authenticated clients: every function that can reach it may connect.
    for (const fn of platformFunctionsIn(this).filter((candidate) => candidate.function.isBoundToVpc)) {
      fn.role.addToPrincipalPolicy(SharedCache.connectStatement(this, config.stage));
    }
    this.functionAlarms = new FunctionAlarms(this, 'FunctionAlarms', {
      stage: config.stage,
      topic: alarmTopic,
      functions: platformFunctionsIn(this),
      errorsPer5Minutes: config.alarms.functionErrorsPer5Minutes,
    });
    this.tableAlarms = new TableAlarms(this, 'TableAlarms', {
      stage: config.stage,
      topic: alarmTopic,
      tables: {
        products: tables.products,
        reviews: tables.reviews,
        'inference-analytics': tables.analytics,
        'consumed-events': tables.consumedEvents,
      },
    });
  }
}
