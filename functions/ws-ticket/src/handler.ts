/**
 * Trigger: API Gateway REST `POST /v1/ws-tickets` (Lambda proxy integration; the API key is
 * checked by API Gateway). Issues a single-use WebSocket ticket for the key's tenant, kept in
 * Redis for 60 s so that `$connect` on any instance can redeem it once (browsers cannot send
 * an API key header on a WebSocket).
 * Failure semantics: Redis unreachable or slow → 503 with Retry-After. Not idempotent by
 * design: every call issues a fresh ticket.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createTicketPlatform, tenantsConfigFromEnvironment } from '@mangaassist/tenants/platform';
import { makeWsTicketHandler } from './ws-ticket.js';

const logger = new Logger({ serviceName: 'ws-ticket' });

export const handler = makeWsTicketHandler(
  createTicketPlatform(tenantsConfigFromEnvironment(process.env), { logger }),
);
