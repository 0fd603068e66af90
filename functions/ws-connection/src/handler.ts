/**
 * Trigger: API Gateway WebSocket `$connect` and `$disconnect`.
 * `$connect` redeems the single-use `?ticket=` (from `POST /v1/ws-tickets`) and stores the
 * connection with its tenant (TTL); a missing ticket is refused with 401, an unknown or used one
 * with 403. `$disconnect` deletes the record. Idempotent: deleting a gone record is a no-op.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { WebSocketChat } from '@mangaassist/chat';
import { createPlatform } from '@mangaassist/chat/platform';
import { ConfigurationError, gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { makeWsConnectionHandler } from './ws-connection.js';

const logger = new Logger({ serviceName: 'ws-connection' });
const platform = createPlatform(gatewayConfigFromEnvironment(process.env), { logger });
const { pusher } = platform;
if (!pusher)
  throw new ConfigurationError('WEBSOCKET_CALLBACK_URL is required: the WebSocket API answers through it');

export const handler = makeWsConnectionHandler({
  webSocket: new WebSocketChat({ ...platform, pusher }),
  logger,
});
