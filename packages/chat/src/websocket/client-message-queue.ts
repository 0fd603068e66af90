import { type QueuedClientMessage, queuedClientMessageSchema } from '@mangaassist/contracts';

import { readJson } from './json-text.js';

export type { QueuedClientMessage };

/**
 * Where the WebSocket message route puts client messages for the stream worker, so that the
 * route answers API Gateway at once (its integrations time out after 29 s) while an answer
 * streams for minutes. A FIFO queue grouped by connection: one connection's messages are
 * handled one after another, in the order they arrived; different connections' in parallel.
 * Deployed an SQS FIFO queue (`SqsClientMessageQueue`), locally an in-process one.
 */
export interface ClientMessageQueue {
  /** Resolves once the message is accepted; rejects when it was not (the caller tells the client). */
  enqueue(message: QueuedClientMessage): Promise<void>;
}

/** A queued message as a FIFO queue takes it: group, deduplication id and body. */
export interface FifoMessage {
  /** The connection: its messages are delivered in order. */
  readonly groupId: string;
  /** API Gateway's message id: a message sent twice with it is queued once. */
  readonly deduplicationId: string;
  readonly body: string;
}

/** The FIFO message of a queued client message; the same for the SQS and the local queue. */
export function fifoMessageOf(message: QueuedClientMessage): FifoMessage {
  return {
    groupId: message.connection_id,
    deduplicationId: message.message_id,
    body: JSON.stringify(message),
  };
}

export type ReadQueuedMessage =
  | { readonly ok: true; readonly message: QueuedClientMessage }
  | { readonly ok: false; readonly reason: string };

/** Reads a queue message's body back: JSON, then `queuedClientMessageSchema`. */
export function readQueuedMessage(body: string): ReadQueuedMessage {
  const read = readJson(queuedClientMessageSchema, body, '(body)');
  if (read.ok) return { ok: true, message: read.value };
  if (read.issues === undefined) return { ok: false, reason: 'the body is not JSON' };
  return { ok: false, reason: `not a queued client message (${read.issues})` };
}
