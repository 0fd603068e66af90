import { catalogEnrichmentQueueLimits, catalogEnrichmentQueueName } from '@mangaassist/contracts';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  DeduplicationScope,
  FifoThroughputLimit,
  type IQueue,
  Queue,
  QueueEncryption,
} from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';

export interface CatalogEnrichmentQueueProps {
  /** Deployment stage: part of the queue's name (`catalogEnrichmentQueueName`). */
  readonly stage: string;
  /**
   * How long a received message stays invisible. Past the consumer's claim on an update (120 s,
   * `consumerLimits.inProgressSeconds`, itself past the consumer function's 60 s timeout), so a
   * message whose attempt crashed comes back once the claim has lapsed, instead of spending a
   * receive on finding it still claimed.
   * @default Duration.seconds(150)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives of a message before it goes to the dead-letter queue.
   * @default catalogEnrichmentQueueLimits.maxReceiveCount (5)
   */
  readonly maxReceiveCount?: number;
  /**
   * What happens to the queues (and the messages in them) when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The catalog enrichment queue (issue 10): an SQS FIFO queue the catalog webhook puts every
 * catalog item on, one message group per product, so that the consumer enriches one product's
 * updates one at a time in the order the catalog sent them — an update never overtakes a
 * discontinuation — while different products go on in parallel.
 *
 * - Content-based deduplication: the webhook sends no deduplication id; the body (batch id, item
 *   index, item) is the same for every copy of an item, so the copy a retried delivery sends
 *   within 5 minutes is dropped (the consumer's idempotency covers a later one). Deduplication and
 *   throughput are per message group (high-throughput FIFO): order and duplicates only matter
 *   within one product.
 * - A message the consumer fails `maxReceiveCount` times goes to a FIFO dead-letter queue
 *   (`deadLetters`, 14 days), which should be alarmed; only then does its product's group move on.
 * - Messages are kept 14 days (the SQS maximum), so a stalled consumer loses nothing while it is
 *   fixed; SSE-SQS, TLS only.
 */
export class CatalogEnrichmentQueue extends Construct {
  readonly queue: Queue;
  /** The queue by its name, for other stacks: no export pins it. */
  readonly reference: IQueue;
  /** Catalog updates the consumer failed `maxReceiveCount` times. */
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: CatalogEnrichmentQueueProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'catalog updates the catalog enrichment consumer failed to enrich',
      fifo: true,
      removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: catalogEnrichmentQueueName(props.stage),
      fifo: true,
      contentBasedDeduplication: true,
      // The catalog webhook packs its SendMessageBatch requests under this size.
      maxMessageSizeBytes: catalogEnrichmentQueueLimits.maxMessageBytes,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DeadLetterQueue.retention,
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(150),
      deadLetterQueue: {
        queue: this.deadLetters.queue,
        maxReceiveCount: props.maxReceiveCount ?? catalogEnrichmentQueueLimits.maxReceiveCount,
      },
      removalPolicy,
    });
    const stack = Stack.of(this);
    const name = catalogEnrichmentQueueName(props.stage);
    this.reference = Queue.fromQueueAttributes(this, 'Reference', {
      queueArn: stack.formatArn({ service: 'sqs', resource: name }),
      queueUrl: `https://sqs.${stack.region}.${stack.urlSuffix}/${stack.account}/${name}`,
      fifo: true,
    });
  }
}
