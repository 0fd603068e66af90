import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readQueuedMessage } from '../websocket/client-message-queue.js';
import type { WebSocketChat } from '../websocket/websocket-chat.js';

export interface ClientMessageQueueHandlerOptions {
  /** Work that must finish before Lambda freezes the environment (e.g. flushing events). */
  readonly afterMessages?: () => Promise<void>;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** An SQS event source mapping's handler with partial batch responses (`ReportBatchItemFailures`). */
export type ClientMessageQueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The stream worker: consumes the client messages the WebSocket message route queued (an SQS
 * FIFO queue, grouped by connection) and hands each to `WebSocketChat.message`, which answers
 * through the connection pusher — streams included, for as long as they run.
 *
 * Records are handled one after another in their order. A record that is not a queued client
 * message, or whose handling threw (`WebSocketChat.message` answers its failures with `error`
 * frames, so only a bug does), is logged and reported as a batch item failure, and so is every
 * record after it — a FIFO queue must not deliver a group's later messages before an earlier
 * one. The queue redelivers them, and its redrive policy moves a message that keeps failing to
 * the dead-letter queue: nothing accepted is dropped silently.
 */
export function makeClientMessageQueueHandler(
  chat: Pick<WebSocketChat, 'message'>,
  options: ClientMessageQueueHandlerOptions = {},
): ClientMessageQueueHandler {
  const logger = options.logger ?? silentLogger;
  return async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    try {
      for (const record of event.Records) {
        if (batchItemFailures.length > 0) {
          batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        const read = readQueuedMessage(record.body);
        if (!read.ok) {
          logger.error('queued WebSocket message unreadable; left to the dead-letter queue', {
            messageId: record.messageId,
            reason: read.reason,
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        const { connection_id: connectionId, message_id: messageId, body } = read.message;
        const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
        try {
          await chat.message(connectionId, body, { messageId, receiveCount });
        } catch (error) {
          // `message` answers its own failures; this only catches a bug escaping it.
          logger.error('queued WebSocket message failed', { connectionId, error: errorMessage(error) });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
    } finally {
      // Never in place of the batch response: a failed flush only loses events, not messages.
      await options.afterMessages?.().catch((error: unknown) => {
        logger.warn('work after the queued WebSocket messages failed', { error: errorMessage(error) });
      });
    }
    return { batchItemFailures };
  };
}
