/**
 * Trigger: API Gateway REST `POST /v1/chat` (Lambda proxy integration; API key checked by API Gateway).
 * Validates the request (schema 400, Japanese-aware text checks 422), checks the tenant's daily
 * budget (429), answers through the chat service (session history, cache, routing, retries,
 * failover, fallback) and returns ChatResponse JSON; the turn is stored after a real answer.
 * Failure semantics: bad input is a 4xx JSON error; model outages answer degraded (200,
 * `degraded: true`) or 429/503/504. Not idempotent: a retried request is a new turn.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createChatPlatform } from '@mangaassist/chat/platform';
import { makeChatSyncHandler } from './chat-sync.js';

const logger = new Logger({ serviceName: 'chat-sync' });

export const handler = makeChatSyncHandler(
  createChatPlatform(chatConfigFromEnvironment(process.env), { logger }),
);
