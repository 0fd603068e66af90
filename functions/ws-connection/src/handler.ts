/**
 * Trigger: API Gateway WebSocket `$connect` and `$disconnect`.
 * `$connect` redeems the single-use `?ticket=` (from `POST /v1/ws-tickets`) and stores the
 * connection with its tenant (TTL); a missing ticket is refused with 401, an unknown or used one
 * with 403. `$disconnect` deletes the record. Idempotent: deleting a gone record is a no-op.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { createConnectionPlatform } from '@mangaassist/chat/platform';
import { makeWsConnectionHandler } from './ws-connection.js';

const logger = new Logger({ serviceName: 'ws-connection' });

export const handler = makeWsConnectionHandler(
  createConnectionPlatform(chatConfigFromEnvironment(process.env), { logger }),
);
