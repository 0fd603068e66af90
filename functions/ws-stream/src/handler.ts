/**
 * Trigger: the SQS FIFO queue the WebSocket message route puts client messages on (grouped by
 * connection, batch size 1). Answers each through the management API: `start`, `delta`… and
 * `complete` frames (with sequence numbers, each under 32 KB, logged in Redis for `resume`), or
 * an `error` frame — for as long as the answer streams, past the route's 29 s.
 * Failure semantics: an unreadable message is reported as a batch item failure and, after the
 * queue's redrives, lands in its dead-letter queue. A redelivered `sendMessage` whose stream was
 * started already is replayed from the frame log, never answered twice.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createWebSocketPlatform } from '@mangaassist/chat/platform';
import { makeWsStreamHandler } from './ws-stream.js';

const logger = new Logger({ serviceName: 'ws-stream' });

export const handler = makeWsStreamHandler(
  createWebSocketPlatform(chatConfigFromEnvironment(process.env), { logger }),
);
