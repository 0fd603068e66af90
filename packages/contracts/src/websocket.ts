import * as z from 'zod';
import { usageSchema } from './chat.js';

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
  .regex(/^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/, 'a lower-case UUID v4');

const metadataSchema = z
  .object({ clientVersion: z.string().max(64).optional(), timestamp: z.number().int().optional() })
  .strict()
  .optional();

export const sendMessageSchema = z
  .object({
    action: z.literal('sendMessage'),
    data: z
      .object({
        message: z.string().min(1).max(websocketLimits.maxMessageChars),
        sessionId: websocketSessionIdSchema.optional(),
        preferredLanguage: z.enum(['ja', 'en', 'zh']).default('ja'),
        modelPreference: z.enum(['auto', 'fast', 'balanced', 'quality']).default('auto'),
      })
      .strict(),
    metadata: metadataSchema,
  })
  .strict();

export const getHistorySchema = z
  .object({
    action: z.literal('getHistory'),
    data: z.object({ sessionId: websocketSessionIdSchema }).strict(),
    metadata: metadataSchema,
  })
  .strict();

export const clearSessionSchema = z
  .object({
    action: z.literal('clearSession'),
    data: z.object({ sessionId: websocketSessionIdSchema }).strict(),
    metadata: metadataSchema,
  })
  .strict();

export const resumeSchema = z
  .object({
    action: z.literal('resume'),
    data: z.object({ streamId: z.uuid(), lastSeq: z.number().int().min(-1) }).strict(),
    metadata: metadataSchema,
  })
  .strict();

export const clientFrameSchema = z.discriminatedUnion('action', [
  sendMessageSchema,
  getHistorySchema,
  clearSessionSchema,
  resumeSchema,
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type SendMessageFrame = z.infer<typeof sendMessageSchema>;

const streamPosition = { stream_id: z.uuid(), seq: z.number().int().nonnegative() };

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), ...streamPosition, session_id: z.string(), request_id: z.string() }),
  z.object({ type: z.literal('delta'), ...streamPosition, text: z.string() }),
  z.object({
    type: z.literal('complete'),
    ...streamPosition,
    stop_reason: z.string(),
    usage: usageSchema,
    model: z.string(),
    cost_usd: z.number().nonnegative(),
    latency_ms: z.number().nonnegative(),
    ttft_ms: z.number().nonnegative().optional(),
    cached: z.boolean(),
    degraded: z.boolean(),
    session_id: z.string(),
  }),
  z.object({
    type: z.literal('error'),
    stream_id: z.uuid().optional(),
    seq: z.number().int().nonnegative().optional(),
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
