export { type MessageVisibility, makeCallbackQueueHandler } from './callback-queue-handler.js';
export { makeJobStarterHandler } from './job-starter-handler.js';
export { queueUrlOf, SqsCallbackQueue } from './sqs-callback-queue.js';
export { SqsJobQueue } from './sqs-job-queue.js';
