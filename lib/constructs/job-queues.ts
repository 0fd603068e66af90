import { byPriority, type JobPriority } from '@mangaassist/contracts';
import { jobStartAttempts } from '@mangaassist/jobs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { pascalCase } from './pascal-case.js';

export interface JobQueuesProps {
  /**
   * The timeout of the function that consumes the queues (the job starter): each queue's
   * visibility timeout is six times it, AWS's advice for a Lambda event source, so that a batch
   * retried while the function is throttled does not become visible again while it runs.
   */
  readonly consumerTimeout: Duration;
  /**
   * Receives of one message before it moves to its lane's dead-letter queue.
   * @default jobStartAttempts (5): the starter fails the job on the last receive
   */
  readonly maxReceiveCount?: number;
  /**
   * What happens to the queues (and the jobs waiting in them) when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One priority lane: the queue jobs wait in, and where the ones that cannot be started end up. */
export interface JobLane {
  readonly queue: Queue;
  readonly deadLetters: DeadLetterQueue;
}

/**
 * The job queues: one SQS standard queue per priority lane (`normal`, `low`), each holding the
 * ids of jobs waiting to start (`{"job_id":…}`). The lanes differ only in how many starters
 * consume them, so a flood of low-priority jobs cannot delay normal ones. Each queue is
 * encrypted with SQS managed keys (as `DeadLetterQueue`, for the same reasons), refuses requests
 * without TLS, keeps a message for 14 days (the SQS maximum: a job item outlives it, so a long
 * outage of the starter loses no queued job), and moves a message received `maxReceiveCount`
 * times to its lane's dead-letter queue.
 *
 * Standard, not FIFO: a job's message is delivered at least once and the starter is idempotent
 * (the execution is named by the job id), and jobs need no order.
 */
export class JobQueues extends Construct {
  readonly lanes: Readonly<Record<JobPriority, JobLane>>;

  constructor(scope: Construct, id: string, props: JobQueuesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.lanes = byPriority((priority) => {
      const name = pascalCase(priority);
      const deadLetters = new DeadLetterQueue(this, `${name}DeadLetters`, {
        purpose: `${priority}-priority jobs the starter failed to start ${props.maxReceiveCount ?? jobStartAttempts} times`,
        removalPolicy,
      });
      const queue = new Queue(this, `${name}Queue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: DeadLetterQueue.retention,
        visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
        deadLetterQueue: {
          queue: deadLetters.queue,
          maxReceiveCount: props.maxReceiveCount ?? jobStartAttempts,
        },
        removalPolicy,
      });
      return { queue, deadLetters };
    });
  }
}
