/**
 * Trigger: API Gateway WebSocket message routes (`sendMessage`, `getHistory`, `clearSession`,
 * `resume`, `$default`; Lambda proxy integration).
 * Puts the client frame, unparsed, on the message queue (`ClientMessageQueue`: SQS FIFO, the
 * connection id as message group, API Gateway's message id as deduplication id) and answers 200
 * at once; the stream worker (`functions/ws-stream`) validates it and answers through the
 * management API, however long the answer streams. The route's integration timeout (29 s) is
 * therefore never reached.
 * Failure semantics: when the queue refuses the message, the client gets an `error` frame
 * `message_not_queued` (best effort) and the failure is logged; the route still answers 200.
 * Idempotency: a route call API Gateway retries carries the same message id, which the FIFO
 * queue deduplicates for 5 minutes.
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
