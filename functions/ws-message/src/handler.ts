/**
 * Trigger: API Gateway WebSocket routes `sendMessage`, `getHistory`, `clearSession`, `resume`
 * and `$default`. Queues the frame on the SQS FIFO message queue (grouped by connection) for the
 * stream worker (`functions/ws-stream`) and answers at once, so no route outlives API Gateway's
 * 29 s integration timeout.
 * Failure semantics: a message the queue refuses is answered with an `error` frame
 * `message_not_queued`. Idempotent per API Gateway message id (the FIFO deduplication id).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createWebSocketRoutePlatform } from '@mangaassist/chat/platform';
import { makeWsMessageHandler } from './ws-message.js';

const logger = new Logger({ serviceName: 'ws-message' });

export const handler = makeWsMessageHandler(
  createWebSocketRoutePlatform(chatConfigFromEnvironment(process.env), { logger }),
);
