// The orchestrator's SQS adapter: an event source mapping in a long-running process.

export {
  queueArnOf,
  type SqsBatchHandler,
  type SqsPollingClient,
  SqsQueuePoller,
  type SqsQueuePollerOptions,
} from './sqs-queue-poller.js';
