/**
 * Trigger: API Gateway REST `POST /v1/chat` (Lambda proxy integration).
 * Validates the request (schema 400, Japanese-aware text checks 422), answers through the core
 * FM gateway (routing, cache, retries, failover, fallback) and returns ChatResponse JSON.
 * Failure semantics: bad input is a 4xx JSON error; model outages answer degraded (200,
 * `degraded: true`) or 429/503/504. Stateless and read-only, so no idempotency is needed.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createGateway, gatewayConfigFromEnvironment } from '@mangaassist/core';
import { makeChatSyncHandler } from './chat-sync.js';

const config = gatewayConfigFromEnvironment(process.env);
const logger = new Logger({ serviceName: 'chat-sync' });
const { gateway, catalog } = createGateway(config, { logger });

export const handler = makeChatSyncHandler({ gateway, catalog, deadlineMs: config.chatDeadlineMs, logger });
