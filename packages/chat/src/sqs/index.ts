export {
  type ClientMessageQueueHandler,
  type ClientMessageQueueHandlerOptions,
  makeClientMessageQueueHandler,
} from './client-message-queue-handler.js';
export { SqsClientMessageQueue } from './sqs-client-message-queue.js';
