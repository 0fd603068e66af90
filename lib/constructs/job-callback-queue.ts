import { callbackAttempts } from '@mangaassist/jobs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';

export interface JobCallbackQueueProps {
  /**
   * The timeout of the function that consumes the queue (the callback deliverer): the queue's
   * visibility timeout is six times it, AWS's advice for a Lambda event source, so that a batch
   * retried while the function is throttled does not become visible again while it runs.
   */
  readonly consumerTimeout: Duration;
  /**
   * What happens to the queue and its dead-letter queue (and the callbacks in them) when the
   * construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The queue of job callbacks waiting for delivery (`{"job_id":…,"status":…}`, sent by the steps
 * function and the safety net when a job with a `callback_url` settles), and `deadLetters`, where
 * a callback lands after `callbackAttempts` (13) receives: the deliverer retries one that was not
 * delivered by hiding it for the next wait of `callbackRetrySeconds` (30 s doubling to 8 h, 24
 * hours in all), so the queue's `maxReceiveCount` is the number of attempts.
 *
 * - Standard, not FIFO: a callback is delivered at least once and carries the same `webhook-id`
 *   on every attempt, so receivers drop repeats; callbacks of different jobs need no order.
 * - Encrypted with SQS managed keys and TLS only, as `DeadLetterQueue` and for the same reasons.
 * - Retention 4 days: more than the 24-hour schedule, so a callback reaches its last attempt and
 *   the dead-letter queue instead of expiring silently on the way (SQS deletes an expired message
 *   wherever it is), with 3 days to spare for an outage of the deliverer (the queue-age alarm
 *   fires long before). Not SQS's 14 days: a callback older than a few days tells a tenant
 *   nothing its own polling has not. The dead-letter queue keeps 14 days, counted (for a standard
 *   queue) from the original send, so a dead-lettered callback stays there about 13 days.
 * - Visibility timeout 6 × `consumerTimeout` (the deliverer's own retries set theirs per message).
 */
export class JobCallbackQueue extends Construct {
  /** How long a queued callback is kept: the retry schedule (24 h) and an outage of 3 days. */
  static readonly retention = Duration.days(4);

  readonly queue: Queue;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: JobCallbackQueueProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `job callbacks not delivered after ${callbackAttempts} attempts over 24 hours`,
      removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: JobCallbackQueue.retention,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: callbackAttempts },
      removalPolicy,
    });
  }
}
