import * as z from 'zod/mini';
import { citationSchema, guardrailVerdictSchema, usageSchema } from './chat.js';

/**
 * WebSocket chat protocol (seed 002 §2.2, extended). Client frames carry an `action`; server
 * frames carry a `type` and, within a stream, a `stream_id` and a `seq` (0, 1, 2 … per stream)
 * so that a client that reconnects can `resume` after the last `seq` it saw.
 */

export const websocketLimits = {
  /** API Gateway WebSocket frames are at most 32 KB; frames stay under it with room to spare. */
  maxFrameBytes: 32 * 1024,
  maxMessageChars: 4000,
  /** How long recent frames are kept for `resume`. */
  resumeWindowSeconds: 300,
} as const;

/** Seed 002 §2.2's session id: a UUID v4. */
export const websocketSessionIdSchema = z
  .string()
  .check(
    z.regex(/^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/, 'a lower-case UUID v4'),
  );

const metadataSchema = z.optional(
  z.strictObject({
    clientVersion: z.optional(z.string().check(z.maxLength(64))),
    timestamp: z.optional(z.int()),
  }),
);

export const sendMessageSchema = z.strictObject({
  action: z.literal('sendMessage'),
  data: z.strictObject({
    message: z.string().check(z.minLength(1), z.maxLength(websocketLimits.maxMessageChars)),
    sessionId: z.optional(websocketSessionIdSchema),
    preferredLanguage: z._default(z.enum(['ja', 'en', 'zh']), 'ja'),
    modelPreference: z._default(z.enum(['auto', 'fast', 'balanced', 'quality']), 'auto'),
  }),
  metadata: metadataSchema,
});

export const getHistorySchema = z.strictObject({
  action: z.literal('getHistory'),
  data: z.strictObject({ sessionId: websocketSessionIdSchema }),
  metadata: metadataSchema,
});

export const clearSessionSchema = z.strictObject({
  action: z.literal('clearSession'),
  data: z.strictObject({ sessionId: websocketSessionIdSchema }),
  metadata: metadataSchema,
});

export const resumeSchema = z.strictObject({
  action: z.literal('resume'),
  data: z.strictObject({ streamId: z.uuid(), lastSeq: z.int().check(z.minimum(-1)) }),
  metadata: metadataSchema,
});

export const clientFrameSchema = z.discriminatedUnion('action', [
  sendMessageSchema,
  getHistorySchema,
  clearSessionSchema,
  resumeSchema,
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type SendMessageFrame = z.infer<typeof sendMessageSchema>;

/**
 * A client message as the message route queues it for the stream worker (the body of an SQS
 * FIFO message, grouped by connection): the frame as received, unparsed — the worker validates
 * it and answers a bad one with an `error` frame — and where it came from.
 */
export const queuedClientMessageSchema = z.strictObject({
  /** API Gateway's connection id: the FIFO message group, so one connection's messages run in order. */
  connection_id: z.string().check(z.minLength(1), z.maxLength(128)),
  /** API Gateway's message id: the FIFO deduplication id, so a retried route call queues once. */
  message_id: z.string().check(z.minLength(1), z.maxLength(128)),
  /** The client frame's text (a binary frame decoded as UTF-8). */
  body: z.string(),
  /** When API Gateway received it, epoch milliseconds. */
  received_at: z.int().check(z.nonnegative()),
});

export type QueuedClientMessage = z.infer<typeof queuedClientMessageSchema>;

/** The name of a stage's WebSocket message queue (SQS FIFO names end in `.fifo`), deployed and local. */
export function websocketMessageQueueName(stage: string): string {
  return `mangaassist-${stage}-ws-messages.fifo`;
}

const streamPosition = { stream_id: z.uuid(), seq: z.int().check(z.nonnegative()) };

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), ...streamPosition, session_id: z.string(), request_id: z.string() }),
  z.object({ type: z.literal('delta'), ...streamPosition, text: z.string() }),
  z.object({
    type: z.literal('complete'),
    ...streamPosition,
    stop_reason: z.string(),
    usage: usageSchema,
    model: z.string(),
    cost_usd: z.number().check(z.nonnegative()),
    latency_ms: z.number().check(z.nonnegative()),
    ttft_ms: z.optional(z.number().check(z.nonnegative())),
    cached: z.boolean(),
    degraded: z.boolean(),
    guardrail: z.optional(guardrailVerdictSchema),
    session_id: z.string(),
    /** Whether the turn is now in the session's history (as `ChatResponse.stored`). */
    stored: z.optional(z.boolean()),
    /** As in `ChatResponse`. */
    citations: z.optional(z.array(citationSchema)),
  }),
  z.object({
    type: z.literal('error'),
    stream_id: z.optional(z.uuid()),
    seq: z.optional(z.int().check(z.nonnegative())),
    code: z.string(),
    message: z.string(),
  }),
  z.object({
    type: z.literal('history'),
    session_id: z.string(),
    turns: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string(), at: z.string() })),
  }),
  z.object({ type: z.literal('cleared'), session_id: z.string() }),
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
