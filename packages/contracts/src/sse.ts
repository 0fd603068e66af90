import * as z from 'zod/mini';
import { citationSchema, guardrailVerdictSchema, usageSchema } from './chat.js';

/**
 * `POST /v1/chat/stream` (Server-Sent Events): `data: {"text":…}` per delta, then one usage
 * event, then `data: [DONE]`. A failure after the first token is an `error` event before
 * `[DONE]`, never a silent end.
 */
export const sseDeltaSchema = z.object({ text: z.string() });

export const sseUsageSchema = z.object({
  type: z.literal('usage'),
  request_id: z.string(),
  stop_reason: z.string(),
  usage: usageSchema,
  model: z.string(),
  model_id: z.string(),
  region: z.string(),
  cost_usd: z.number().check(z.nonnegative()),
  latency_ms: z.number().check(z.nonnegative()),
  ttft_ms: z.optional(z.number().check(z.nonnegative())),
  cached: z.boolean(),
  degraded: z.boolean(),
  guardrail: z.optional(guardrailVerdictSchema),
  session_id: z.optional(z.string()),
  /** As in `ChatResponse`. */
  stored: z.optional(z.boolean()),
  /** As in `ChatResponse`. */
  citations: z.optional(z.array(citationSchema)),
});

export const sseErrorSchema = z.object({
  type: z.literal('error'),
  request_id: z.string(),
  code: z.string(),
  message: z.string(),
});

export const sseDone = '[DONE]';
