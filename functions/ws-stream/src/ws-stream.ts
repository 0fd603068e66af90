/**
 * Trigger: SQS FIFO event source mapping on the WebSocket message queue (batch size 1, partial
 * batch responses), fed by the message route (`functions/ws-message`).
 * Handles one client frame per record and pushes the answer to the connection through API
 * Gateway's management API: a chat answer streams as `start`, `delta`…, `complete` frames (each
 * logged for `resume`; deltas produced during a push leave together), failures as `error`
 * frames; a `resume` of a running stream follows it to its end (at most `resumeFollowMs`, 120 s).
 * One connection's messages arrive one after another (the queue's message group), so a second
 * `sendMessage` starts once the first answer has ended. The function's timeout must exceed both
 * the stream's lifetime and `resumeFollowMs`; the queue's visibility timeout must exceed it.
 * Failure semantics: a vanished client (410) lets the answer go on into the frame log for a
 * `resume`; a record that is not a queued client message is a batch item failure (redriven, then
 * dead-lettered). Idempotency: a `sendMessage`'s stream id derives from API Gateway's message id,
 * so a message the queue delivers again after its stream started is replayed from the frame log
 * (ended by `stream_interrupted` if the earlier attempt died part-way), not answered twice.
 */

import type { WebSocketChat } from '@mangaassist/chat';
import { makeClientMessageQueueHandler } from '@mangaassist/chat/sqs';
import type { Logger } from '@mangaassist/commons';
import type { FmGateway } from '@mangaassist/fm-gateway';

export interface WsStreamDependencies {
  readonly webSocket: Pick<WebSocketChat, 'message'>;
  /** Its InferenceCompleted events are flushed before the handler returns. */
  readonly gateway: Pick<FmGateway, 'flush'>;
  readonly logger: Logger;
}

/** How long a batch may wait for its InferenceCompleted events to reach the bus. */
const eventFlushMs = 300;

/**
 * The stream worker's Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 * InferenceCompleted events are flushed (for at most 300 ms) before the handler returns,
 * because Lambda may freeze the environment as soon as it has.
 */
export function makeWsStreamHandler({ webSocket, gateway, logger }: WsStreamDependencies) {
  return makeClientMessageQueueHandler(webSocket, {
    afterMessages: () => gateway.flush(eventFlushMs),
    logger,
  });
}
