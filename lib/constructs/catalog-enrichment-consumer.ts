import { catalogEnrichmentQueueLimits, gatewayEnvironment } from '@mangaassist/contracts';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { PlatformFunction } from './platform-function.js';

export interface CatalogEnrichmentConsumerProps {
  /** Deployment stage: descriptions and `MANGA_ENV`. */
  readonly stage: string;
  /** The catalog enrichment queue (SQS FIFO, `CatalogEnrichmentQueue`), the function's only trigger. */
  readonly queue: IQueue;
  /** Where descriptions, tags and discontinuations go (`PRODUCTS_TABLE`): read and written. */
  readonly productsTable: ITable;
  /** The consumed-events table (`CONSUMED_EVENTS_TABLE`): one claim per catalog update. */
  readonly consumedEventsTable: ITable;
  /** Where the gateway publishes `InferenceCompleted` (`EVENT_BUS_NAME`). */
  readonly eventBus: IEventBus;
  /** Bedrock permission and gateway settings: the fast model and its fallbacks only. */
  readonly bedrock: BedrockInvokeAccess;
  /**
   * For tests only: the handler to run instead of `catalog-enrichment-handler.ts` (unit tests
   * switch bundling off).
   * @default 'functions/event-consumer/src/catalog-enrichment-handler.ts'
   */
  readonly entry?: string;
  /**
   * Messages handled at once (the event source mapping's maximum concurrency, 2 – 1000).
   * @default catalogEnrichmentQueueLimits.maxConcurrency (20)
   */
  readonly maxConcurrency?: number;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * At most 60 s: the consumer's claim on an update (120 s) must outlast an attempt, and the
   * queue's visibility timeout the claim.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The catalog enrichment consumer (`EVENT_CONSUMER=catalog-enrichment`): a function on the
 * catalog enrichment queue through an event source mapping with batch size 1 and partial batch
 * responses, so a failed update is the one message received again — its product's later updates
 * wait behind it, other products go on — until the queue's redrive policy dead-letters it. The
 * mapping's maximum concurrency bounds the model calls in flight (and keeps Lambda's throttles,
 * which would spend receives, away).
 *
 * Least privilege: read and write the products and consumed-events tables, put events on the bus
 * (the gateway's `InferenceCompleted`), invoke the fast model and its fallbacks; consuming the
 * queue is granted by the mapping. Outside any VPC: it reaches only AWS APIs.
 */
export class CatalogEnrichmentConsumer extends Construct {
  readonly function: PlatformFunction;

  constructor(scope: Construct, id: string, props: CatalogEnrichmentConsumerProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? catalogEnrichmentQueueLimits.maxConcurrency;
    this.function = new PlatformFunction(this, 'Function', {
      entry: props.entry ?? 'functions/event-consumer/src/catalog-enrichment-handler.ts',
      description: `MangaAssist ${props.stage}: catalog enrichment (SQS FIFO, one product at a time)`,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      environment: {
        ...props.bedrock.handlerEnvironment,
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.eventConsumer]: 'catalog-enrichment',
        [gatewayEnvironment.productsTable]: props.productsTable.tableName,
        [gatewayEnvironment.consumedEventsTable]: props.consumedEventsTable.tableName,
        [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName,
      },
    });
    this.function.invocationTarget.addEventSource(
      new SqsEventSource(props.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency }),
    );
    props.productsTable.grantReadWriteData(this.function);
    props.consumedEventsTable.grantReadWriteData(this.function);
    props.eventBus.grantPutEventsTo(this.function);
    props.bedrock.grantInvoke(this.function, { models: ['fast'] });
  }
}
