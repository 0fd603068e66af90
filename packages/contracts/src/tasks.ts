import * as z from 'zod/mini';
import { chatLimits, guardrailVerdictSchema, usageSchema } from './chat.js';

/**
 * Static routes (seed 001 §2.4.4): each path always uses one model tier.
 * `POST /v1/moderate` → fast, `POST /v1/summarize` → balanced, `POST /v1/analyze` → quality.
 */
export const taskRoutes = {
  moderate: { path: '/v1/moderate', model: 'fast' },
  summarize: { path: '/v1/summarize', model: 'balanced' },
  analyze: { path: '/v1/analyze', model: 'quality' },
} as const;

export type TaskName = keyof typeof taskRoutes;
export const taskNames = Object.keys(taskRoutes) as TaskName[];

export const taskRequestSchema = z.strictObject({
  /** The text to moderate, summarise or analyse. */
  text: z.string().check(z.minLength(1), z.maxLength(chatLimits.maxContentChars)),
  /** What to look for or focus on (summarize / analyze). */
  instructions: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
  max_tokens: z._default(
    z.int().check(z.minimum(1), z.maximum(chatLimits.maxTokens)),
    chatLimits.defaultMaxTokens,
  ),
});

export type TaskRequest = z.output<typeof taskRequestSchema>;

export const moderationVerdictSchema = z.object({
  safe: z.boolean(),
  severity: z.enum(['none', 'low', 'medium', 'high', 'critical']),
  categories: z.array(z.string()),
  reason: z.string(),
});

export type ModerationVerdict = z.infer<typeof moderationVerdictSchema>;

export const taskResponseSchema = z.object({
  request_id: z.string(),
  task: z.enum(['moderate', 'summarize', 'analyze']),
  /** The model's answer: the summary or analysis; the raw verdict text for `moderate`. */
  text: z.string(),
  /** `moderate` only: the parsed verdict. An unparseable verdict is never `safe`: it asks for review. */
  verdict: z.optional(z.extend(moderationVerdictSchema, { review_required: z.boolean() })),
  model: z.string(),
  model_id: z.string(),
  region: z.string(),
  stop_reason: z.string(),
  usage: usageSchema,
  cost_usd: z.number().check(z.nonnegative()),
  latency_ms: z.number().check(z.nonnegative()),
  cached: z.boolean(),
  degraded: z.boolean(),
  guardrail: z.optional(guardrailVerdictSchema),
});

export type TaskResponse = z.infer<typeof taskResponseSchema>;
