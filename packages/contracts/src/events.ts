import { z } from 'zod';

/** Event sources on the MangaAssist bus. */
export const eventSources = {
  chat: 'mangaassist.chat',
  ai: 'mangaassist.ai',
  payments: 'mangaassist.payments',
  reviews: 'mangaassist.reviews',
  catalog: 'mangaassist.catalog',
} as const;

/**
 * `mangaassist.ai` / `InferenceCompleted` (seed 000 §3.1, extended): one per model answer the
 * gateway produced, for cost accounting and analytics. `processing_stage: completed` keeps
 * rules that react to raw input from ever matching it.
 */
export const inferenceCompletedDetailSchema = z.object({
  request_id: z.string(),
  tenant_id: z.string(),
  session_id: z.string().optional(),
  /** Catalog key of the model that answered; `none` for a degraded answer. */
  model: z.string(),
  model_id: z.string(),
  region: z.string(),
  status: z.enum(['success', 'degraded', 'error', 'timeout']),
  stop_reason: z.string().optional(),
  cached: z.boolean(),
  metrics: z.object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_read_input_tokens: z.number().int().nonnegative(),
    cache_write_input_tokens: z.number().int().nonnegative(),
    latency_ms: z.number().nonnegative(),
    ttft_ms: z.number().nonnegative().optional(),
    /** Decimal string (seed format), e.g. "0.000412". */
    estimated_cost_usd: z.string().regex(/^\d+(\.\d+)?$/),
  }),
  response_summary: z.string().max(500),
  processing_stage: z.literal('completed'),
});

export type InferenceCompletedDetail = z.infer<typeof inferenceCompletedDetailSchema>;

export const inferenceCompletedEvent = {
  source: eventSources.ai,
  detailType: 'InferenceCompleted',
  schema: inferenceCompletedDetailSchema,
} as const;
