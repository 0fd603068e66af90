import {
  connectionsTable,
  consumedEventsTable,
  inferenceAnalyticsTable,
  jobsTable,
  productsTable,
  recommendationsTable,
  reviewsTable,
  sessionsTable,
  webhookIdempotencyTable,
  wsTicketsTable,
} from '@mangaassist/contracts';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { AiEventBus } from '../constructs/ai-event-bus.js';
import { CallbackSecret } from '../constructs/callback-secret.js';
import { CatalogEnrichmentQueue } from '../constructs/catalog-enrichment-queue.js';
import { DocumentBucket } from '../constructs/document-bucket.js';
import { EndUserPool } from '../constructs/end-user-pool.js';
import type { ConsumerTable } from '../constructs/event-consumers.js';
import { OutboundWebhookKey } from '../constructs/outbound-webhook-key.js';
import type { FunctionNetwork } from '../constructs/platform-function.js';
import { PrivateNetwork } from '../constructs/private-network.js';
import { PublishedNames } from '../constructs/published-names.js';
import { SharedCache } from '../constructs/shared-cache.js';
import { SpecTable } from '../constructs/spec-table.js';
import { WebhookSecret } from '../constructs/webhook-secret.js';

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * What holds state or is referenced by name from outside: the AI event bus (with its archive and
 * schema registry), the sessions, WebSocket connections, WebSocket tickets and webhook idempotency
 * tables, the event consumers' tables and the catalog enrichment queue, the document jobs' table and bucket, the webhook signing
 * secrets, the tenants' job callback signing secrets, the moderation alert webhook's API key, the Redis cache and the VPC it lives in. Changes here are rare and reviewed
 * with care (termination protection, RETAIN and deletion protection in production). The
 * stateless stacks receive interfaces and values from here, never the reverse: the cache admits
 * the functions' security group, which this stack owns too.
 */
export class StatefulStack extends Stack {
  readonly eventBus: IEventBus;
  /** The bus's archive, schema registry and the bus itself. */
  readonly aiEventBus: AiEventBus;
  readonly sessionsTable: ITable;
  readonly connectionsTable: ITable;
  /** WebSocket tickets issued while Redis is down (`ticket_hash` → tenant, a minute each). */
  readonly ticketsTable: ITable;
  /** Webhook deliveries claimed and processed (`source:event-id`), kept past senders' retries. */
  readonly webhookIdempotencyTable: ITable;
  /** Every webhook source's signing secrets (`mangaassist-<stage>-webhook-secrets`). */
  readonly webhookSecret: ISecret;
  /** Each tenant's job callback signing secrets (`mangaassist-<stage>-callback-secrets`). */
  readonly callbackSecret: ISecret;
  /**
   * The event consumers' tables: products (with what the model wrote), reviews (verdicts, hidden
   * flags), inference analytics per model and day, and the events each consumer already handled.
   */
  readonly eventTables: Readonly<Record<ConsumerTable, ITable>>;
  /**
   * The catalog enrichment queue (SQS FIFO, one group per product) and its dead-letter queue:
   * the catalog webhook (API stack) sends to it, the enrichment consumer (events stack) reads it.
   */
  readonly catalogEnrichment: CatalogEnrichmentQueue;
  /** Asynchronous document jobs and their idempotency keys (`job_id`, TTL `expires_at`). */
  readonly jobsTable: ITable;
  /** Each segment's latest recommendation list (`segment`). */
  readonly recommendationsTable: ITable;
  /** Uploads and every job's document, chunks, answers and result (`uploads/`, `jobs/`). */
  readonly documentsBucket: IBucket;
  /**
   * The documents bucket's name, which the stateless stacks refer to it by (no export; see
   * `DocumentBucket.bucketNameFor`).
   */
  readonly documentsBucketName: string;
  /** The API key EventBridge sends to the moderation alert webhook (`mangaassist-<stage>-moderation-alerts-key`). */
  readonly moderationWebhookKey: ISecret;
  readonly network: PrivateNetwork;
  readonly cache: SharedCache;
  /** Where functions that use the cache run: the functions subnets, with the functions' group. */
  readonly functionNetwork: FunctionNetwork;
  /** `rediss://…` of the cache, for `REDIS_URL`. */
  readonly redisUrl: string;
  /** The Cognito pool of end users, when the stage takes their tokens and has no issuer of its own. */
  readonly endUserPool?: EndUserPool;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, { terminationProtection: config.terminationProtection, ...stackProps });
    this.aiEventBus = new AiEventBus(this, 'AiEvents', {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
      archiveRetention: config.events.archiveRetention,
    });
    // Other stacks reach the stateful resources by name, not by export: see `SpecTable.reference`.
    this.eventBus = this.aiEventBus.reference;

    const tableDefaults = {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
      deletionProtection: config.terminationProtection,
    };
    this.sessionsTable = new SpecTable(this, 'Sessions', { spec: sessionsTable, ...tableDefaults }).reference;
    this.connectionsTable = new SpecTable(this, 'Connections', {
      spec: connectionsTable,
      ...tableDefaults,
    }).reference;
    this.ticketsTable = new SpecTable(this, 'WsTickets', {
      spec: wsTicketsTable,
      ...tableDefaults,
    }).reference;
    this.webhookIdempotencyTable = new SpecTable(this, 'WebhookIdempotency', {
      spec: webhookIdempotencyTable,
      ...tableDefaults,
    }).reference;
    this.eventTables = {
      products: new SpecTable(this, 'Products', { spec: productsTable, ...tableDefaults }).reference,
      reviews: new SpecTable(this, 'Reviews', { spec: reviewsTable, ...tableDefaults }).reference,
      analytics: new SpecTable(this, 'InferenceAnalytics', {
        spec: inferenceAnalyticsTable,
        ...tableDefaults,
      }).reference,
      consumedEvents: new SpecTable(this, 'ConsumedEvents', { spec: consumedEventsTable, ...tableDefaults })
        .reference,
    };
    this.catalogEnrichment = new CatalogEnrichmentQueue(this, 'CatalogEnrichment', {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
    });
    this.jobsTable = new SpecTable(this, 'Jobs', { spec: jobsTable, ...tableDefaults }).reference;
    this.recommendationsTable = new SpecTable(this, 'Recommendations', {
      spec: recommendationsTable,
      ...tableDefaults,
    }).reference;
    this.documentsBucket = new DocumentBucket(this, 'Documents', {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
      accessLogRetentionDays: config.logRetention,
    }).bucket;
    this.documentsBucketName = DocumentBucket.bucketNameFor(config.stage);
    this.webhookSecret = new WebhookSecret(this, 'WebhookSecrets', {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
    }).secret;
    this.callbackSecret = new CallbackSecret(this, 'CallbackSecrets', {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
    }).secret;
    this.moderationWebhookKey = new OutboundWebhookKey(this, 'ModerationWebhookKey', {
      stage: config.stage,
      name: 'moderation-alerts',
      removalPolicy: config.removalPolicy,
    }).secret;

    this.network = new PrivateNetwork(this, 'Network', {
      maxAzs: config.network.maxAzs,
      ...(config.network.availabilityZones ? { availabilityZones: config.network.availabilityZones } : {}),
      natGateways: config.network.natGateways,
      eventBusNames: [this.aiEventBus.eventBus.eventBusName],
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
    });
    this.cache = new SharedCache(this, 'Cache', {
      stage: config.stage,
      vpc: this.network.vpc,
      subnets: this.network.dataSubnets,
      clients: [this.network.functionSecurityGroup],
      maxDataStorageGb: config.cache.maxDataStorageGb,
      maxEcpuPerSecond: config.cache.maxEcpuPerSecond,
    });
    this.functionNetwork = {
      vpc: this.network.vpc,
      subnets: this.network.functionSubnets,
      securityGroups: [this.network.functionSecurityGroup],
    };
    this.redisUrl = this.cache.redisUrl;
    // Read by the API stack from SSM: a replaced cache changes its endpoint, which an export
    // would refuse ("export in use"); the API stack picks the new URL up on its next deploy.
    new PublishedNames(this, 'PublishedNames', {
      stage: config.stage,
      names: { 'cache/url': this.redisUrl },
    });
    if (config.endUsers && config.endUsers.oidc === undefined) {
      this.endUserPool = new EndUserPool(this, 'EndUsers', {
        stage: config.stage,
        removalPolicy: config.removalPolicy,
      });
    }
  }
}
