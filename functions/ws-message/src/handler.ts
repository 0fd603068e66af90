/**
 * Trigger: API Gateway WebSocket routes `sendMessage`, `getHistory`, `clearSession`, `resume`
 * and `$default`. Queues the frame on the SQS FIFO message queue (grouped by connection) for the
 * stream worker (`functions/ws-stream`) and answers at once, so no route outlives API Gateway's
 * 29 s integration timeout.
 * Failure semantics: an invalid frame is answered with `invalid_frame`, a message the queue
 * refuses with `message_not_queued`. The FIFO deduplication id is API Gateway's message id.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createWebSocketRoutePlatform } from '@mangaassist/chat/platform';
import { makeWsMessageHandler } from './ws-message.js';

const logger = new Logger({ serviceName: 'ws-message' });

export const handler = makeWsMessageHandler(
  createWebSocketRoutePlatform(chatConfigFromEnvironment(process.env), { logger }),
);
