/**
 * Trigger: API Gateway WebSocket routes `sendMessage`, `getHistory`, `clearSession`, `resume`
 * and `$default`. Streams the answer back as `start`, `delta`… and `complete` frames (with
 * sequence numbers, each under 32 KB, logged in Redis for `resume`), or an `error` frame.
 * Failure semantics: a client gone mid-stream (410) cancels the model call and deletes the
 * connection; nothing of a half-delivered answer is stored. Not idempotent: a resent
 * `sendMessage` is a new turn.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { WebSocketChat } from '@mangaassist/chat';
import { createPlatform } from '@mangaassist/chat/platform';
import { ConfigurationError, gatewayConfigFromEnvironment } from '@mangaassist/fm-gateway';
import { makeWsMessageHandler } from './ws-message.js';

const config = gatewayConfigFromEnvironment(process.env);
const logger = new Logger({ serviceName: 'ws-message' });
const platform = createPlatform(config, { logger });
const { pusher } = platform;
if (!pusher) throw new ConfigurationError('WEBSOCKET_CALLBACK_URL is required: frames are posted through it');

export const handler = makeWsMessageHandler({
  webSocket: new WebSocketChat({ ...platform, pusher, firstTokenDeadlineMs: config.chatDeadlineMs }),
  gateway: platform.gateway,
});
