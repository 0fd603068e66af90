/**
 * Trigger: API Gateway WebSocket message routes (`sendMessage`, `getHistory`, `clearSession`,
 * `resume`, `$default`; Lambda proxy integration).
 * Puts the client frame, unparsed, on the message queue (`ClientMessageQueue`: SQS FIFO, the
 * connection id as message group, API Gateway's message id as deduplication id) and answers 200
 * at once; the stream worker (`functions/ws-stream`) validates it and answers through the
 * management API, however long the answer streams. The route's integration timeout (29 s) is
 * therefore never reached.
 * Failure semantics: a frame that is not a client frame of the contract is answered at once
 * with `invalid_frame` and not queued; when the queue refuses the message, the client gets an
 * `error` frame `message_not_queued` (best effort) and the failure is logged. The route always
 * answers 200.
 * Idempotency: the message is queued with API Gateway's message id as deduplication id, so a
 * SendMessage the SDK retries is queued once (within 5 minutes); the stream worker recognises a
 * message the queue delivers again by that id and never answers it twice.
 */

import type { ClientMessageQueue, ConnectionPusher } from '@mangaassist/chat';
import { makeWebSocketRouteHandler } from '@mangaassist/chat/api-gateway';
import type { Logger } from '@mangaassist/commons';

export interface WsMessageDependencies {
  /** Where client messages go for the stream worker. */
  readonly queue: ClientMessageQueue;
  /** Tells a client its message could not be queued. */
  readonly pusher: ConnectionPusher;
  readonly logger: Logger;
}

/**
 * The message-route Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment (`createWebSocketRoutePlatform`), `pnpm dev`
 * from the local runtime.
 */
export function makeWsMessageHandler({ queue, pusher, logger }: WsMessageDependencies) {
  return makeWebSocketRouteHandler(queue, { pusher, logger });
}
