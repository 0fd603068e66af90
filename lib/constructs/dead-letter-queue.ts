import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends up here, for the queue's purpose in reviews and in the acknowledgement. */
  readonly purpose: string;
  /**
   * What happens to the queue (and the failed events in it) when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A FIFO queue, for the dead letters of a FIFO queue (SQS requires the same kind).
   * @default false
   */
  readonly fifo?: boolean;
}

/**
 * Where events that could not be delivered or processed wait for an operator: an SQS queue
 * keeping messages for 14 days (the SQS maximum), encrypted with SQS managed keys (SSE-SQS) and
 * refusing requests without TLS.
 *
 * SSE-SQS rather than KMS: EventBridge and Lambda write to it as AWS services, and a KMS key
 * would need a key policy naming them (the AWS managed `aws/sqs` key cannot be used by them at
 * all); SSE-SQS encrypts at rest just the same with no key to manage.
 */
export class DeadLetterQueue extends Construct {
  /** SQS's longest retention: time to notice the alarm, fix the cause and redrive. */
  static readonly retention = Duration.days(14);

  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      retentionPeriod: DeadLetterQueue.retention,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      ...(props.fifo ? { fifo: true } : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue (${props.purpose}); nothing consumes it automatically, so it needs no DLQ of its own. Its depth alarms.`,
    });
  }
}
