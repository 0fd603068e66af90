/**
 * Trigger: API Gateway WebSocket message routes (`sendMessage`, `getHistory`, `clearSession`,
 * `resume`, `$default`; Lambda proxy integration).
 * Handles one client frame and pushes the answer to the connection through API Gateway's
 * management API: a chat answer streams as `start`, `delta`…, `complete` frames (each logged
 * for `resume`; deltas produced during a push leave together), failures as `error` frames; a
 * `resume` of a running stream follows it to its end (at most `resumeFollowMs`, 120 s). The
 * route's integration answers at 29 s; the function keeps running and pushing, so its timeout
 * must exceed both the stream's lifetime and `resumeFollowMs`.
 * Failure semantics: a vanished client (410) stops the model call and deletes its connection;
 * another failed push (throttled) stops it too and ends the stream with `push_failed`; nothing
 * is stored for a half-delivered answer. Not idempotent: every `sendMessage` is a new stream, so
 * a client that lost frames sends `resume`, never the message again.
 */

import type { WebSocketChat } from '@mangaassist/chat';
import { makeWebSocketMessageHandler } from '@mangaassist/chat/api-gateway';
import type { FmGateway } from '@mangaassist/fm-gateway';

export interface WsMessageDependencies {
  readonly webSocket: Pick<WebSocketChat, 'message'>;
  /** Its InferenceCompleted events are flushed before the handler returns. */
  readonly gateway: Pick<FmGateway, 'flush'>;
}

/** How long a message may wait for its InferenceCompleted event to reach the bus. */
const eventFlushMs = 300;

/**
 * The message-route Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 * InferenceCompleted events are flushed (for at most 300 ms) before the handler returns,
 * because Lambda may freeze the environment as soon as it has.
 */
export function makeWsMessageHandler({ webSocket, gateway }: WsMessageDependencies) {
  return makeWebSocketMessageHandler(webSocket, { afterMessage: () => gateway.flush(eventFlushMs) });
}
