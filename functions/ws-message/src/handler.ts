/**
 * Trigger: API Gateway WebSocket routes `sendMessage`, `getHistory`, `clearSession`, `resume`
 * and `$default`. Streams the answer back as `start`, `delta`… and `complete` frames (with
 * sequence numbers, each under 32 KB, logged in Redis for `resume`), or an `error` frame.
 * Failure semantics: a client gone mid-stream (410) cancels the model call and deletes the
 * connection; nothing of a half-delivered answer is stored. Not idempotent: a resent
 * `sendMessage` is a new turn.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createWebSocketPlatform } from '@mangaassist/chat/platform';
import { makeWsMessageHandler } from './ws-message.js';

const logger = new Logger({ serviceName: 'ws-message' });

export const handler = makeWsMessageHandler(
  createWebSocketPlatform(chatConfigFromEnvironment(process.env), { logger }),
);
