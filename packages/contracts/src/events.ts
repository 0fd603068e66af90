import * as z from 'zod/mini';
import { sessionIdSchema, usageSchema } from './chat.js';
import { jobErrorSchema, jobIdSchema, jobTypes } from './jobs.js';
import {
  catalogUpdateDetailSchema,
  catalogUpdateTypes,
  paymentCompletedDetailSchema,
  reviewSubmittedDetailSchema,
} from './webhooks.js';

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
  /**
   * One per inference. A publisher's resend of an event the bus had already accepted (its
   * response lost) gets a new event id but keeps this, so `InferenceCompleted` consumers count
   * the inference once. Absent on events from producers that predate it: those dedupe by event id.
   */
  inference_id: z.optional(z.uuid()),
  tenant_id: z.string(),
  session_id: z.optional(z.string()),
  /** Catalog key of the model that answered; `none` for a degraded answer. */
  model: z.string(),
  /**
   * Catalog key of the model the router chose. Unlike `model` when the answer came from further
   * down its fallback ladder (or is degraded). Absent from producers that predate it.
   */
  routed_model: z.optional(z.string()),
  model_id: z.string(),
  region: z.string(),
  status: z.enum(['success', 'degraded', 'error', 'timeout']),
  stop_reason: z.optional(z.string()),
  cached: z.boolean(),
  metrics: z.object({
    input_tokens: z.int().check(z.nonnegative()),
    output_tokens: z.int().check(z.nonnegative()),
    cache_read_input_tokens: z.int().check(z.nonnegative()),
    cache_write_input_tokens: z.int().check(z.nonnegative()),
    latency_ms: z.number().check(z.nonnegative()),
    ttft_ms: z.optional(z.number().check(z.nonnegative())),
    /** Decimal string (seed format), e.g. "0.000412". */
    estimated_cost_usd: z.string().check(z.regex(/^\d+(\.\d+)?$/)),
  }),
  response_summary: z.string().check(z.maxLength(500)),
  processing_stage: z.literal('completed'),
  /** Set when a consumer's model call caused it: the chain it belongs to (loop guard 3). */
  chain_depth: z.optional(z.int().check(z.minimum(1))),
  source_event_id: z.optional(z.string().check(z.minLength(1))),
});

export type InferenceCompletedDetail = z.infer<typeof inferenceCompletedDetailSchema>;

export const inferenceCompletedEvent = {
  source: eventSources.ai,
  detailType: 'InferenceCompleted',
  schema: inferenceCompletedDetailSchema,
} as const;

/**
 * Where an event stands in a processing chain (seed 000 §3.3, loop guard #2): `raw` for what
 * webhooks and chat produce, `processed` for what an event consumer emits, `completed` for the
 * gateway's `InferenceCompleted`. Rules that start model work match `raw` only, so nothing a
 * consumer emits can start that work again.
 */
export const processingStages = ['raw', 'processed', 'completed'] as const;
export type ProcessingStage = (typeof processingStages)[number];

/** Loop guard #3: how many consumer hops an event chain may take (seed 000 §5.3 `MAX_CHAIN_DEPTH`). */
export const eventChainLimits = {
  /** An event whose `chain_depth` has reached this is refused, never processed. */
  maxChainDepth: 3,
} as const;

/**
 * Chain metadata every event a consumer emits carries (loop guard #3): how many consumer hops
 * led to it (`1` for the first consumer's output) and the id of the event it was made from.
 * Always with `processing_stage: processed`.
 */
export const chainMetadataSchema = z.object({
  chain_depth: z.int().check(z.minimum(1)),
  source_event_id: z.string().check(z.minLength(1), z.maxLength(256)),
  processing_stage: z.literal('processed'),
});
export type ChainMetadata = z.infer<typeof chainMetadataSchema>;

/**
 * `mangaassist.chat` / `MessageReceived` (seed 000 §3.1): one per user message the chat doors
 * accept. `message` counts UTF-16 code units, as zod's `max` does.
 */
export const messageReceivedDetailSchema = z.object({
  session_id: sessionIdSchema,
  user_id: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  message: z.string().check(z.minLength(1), z.maxLength(4000)),
  language: z.enum(['ja', 'en']),
  channel: z.enum(['web', 'mobile', 'api']),
  processing_stage: z.literal('raw'),
});
export type MessageReceivedDetail = z.infer<typeof messageReceivedDetailSchema>;

export const moderationSeverities = ['low', 'medium', 'high', 'critical'] as const;
export type ModerationSeverity = (typeof moderationSeverities)[number];

/**
 * `mangaassist.ai` / `ModerationFlagged` (seed 000 §3.1, keyed by review rather than session):
 * emitted by the FM trigger consumer for a review the model found unsafe — or whose verdict it
 * could not parse (`review_required: true`), which is never treated as safe. The review text
 * itself stays out of the event: only its SHA-256 (lower-case hex) and a 200-character preview.
 */
export const moderationFlaggedDetailSchema = z.object({
  review_id: z.string().check(z.minLength(1), z.maxLength(128)),
  product_id: z.string().check(z.minLength(1), z.maxLength(128)),
  content_hash: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'SHA-256 as 64 lower-case hex digits')),
  content_preview: z.string().check(z.maxLength(200)),
  severity: z.enum(moderationSeverities),
  flagged_categories: z.array(z.string()),
  reason: z.string(),
  model_id: z.string().check(z.minLength(1)),
  /** The verdict could not be parsed or validated: a human decides. */
  review_required: z.optional(z.boolean()),
  ...chainMetadataSchema.shape,
});
export type ModerationFlaggedDetail = z.infer<typeof moderationFlaggedDetailSchema>;

/**
 * `mangaassist.ai` / `Recommendation.Generated`: one per customer (or segment) the scheduled
 * recommendation regeneration produced a list for. `generated_at` is ISO 8601 in UTC.
 */
export const recommendationGeneratedDetailSchema = z.object({
  customer_id: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  segment: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  product_ids: z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.maxLength(100)),
  model_id: z.string().check(z.minLength(1)),
  generated_at: z.iso.datetime(),
  ...chainMetadataSchema.shape,
});
export type RecommendationGeneratedDetail = z.infer<typeof recommendationGeneratedDetailSchema>;

/** One event type of the bus: where it comes from, its detail type(s) and its detail schema. */
export interface BusEventDefinition {
  readonly source: (typeof eventSources)[keyof typeof eventSources];
  /** The detail type; for a family (`CatalogUpdate.*`) its stem, `CatalogUpdate`. */
  readonly detailType: string;
  /** Every concrete detail type: `[detailType]`, or each member of the family. */
  readonly detailTypes: readonly string[];
  /** Set for a family: detail types starting with it belong to this definition. */
  readonly detailTypePrefix?: string;
  /** The `processing_stage` every detail carries. */
  readonly stage: ProcessingStage;
  /** Emitted by an event consumer, so the detail carries `chain_depth` and `source_event_id`. */
  readonly chained: boolean;
  readonly description: string;
  readonly schema: z.ZodMiniType<Record<string, unknown>>;
}

/**
 * `mangaassist.ai` / `JobCompleted` and `JobFailed`: a document job ended (the jobs API's
 * `GET /v1/jobs/{id}` has the whole job, its result text included; events stay small).
 */
export const jobEndedDetailSchema = z.object({
  job_id: jobIdSchema,
  tenant_id: z.string(),
  type: z.enum(jobTypes),
  status: z.enum(['succeeded', 'failed']),
  progress: z.object({ chunks_done: z.int(), chunks_total: z.int() }),
  created_at: z.string(),
  updated_at: z.string(),
  result: z.optional(
    z.object({ model: z.string(), usage: usageSchema, cost_usd: z.number().check(z.nonnegative()) }),
  ),
  error: z.optional(jobErrorSchema),
  processing_stage: z.literal('completed'),
});

export type JobEndedDetail = z.infer<typeof jobEndedDetailSchema>;

const catalogUpdatePrefix = 'CatalogUpdate.';

/**
 * Every event on the MangaAssist bus, keyed by detail type (`CatalogUpdate.*` for the family).
 * The single source for validation in producers and consumers, the Schema Registry entries
 * (`registrySchemas()`), and the rule patterns (`eventRules`).
 */
export const busEvents = {
  MessageReceived: {
    source: eventSources.chat,
    detailType: 'MessageReceived',
    detailTypes: ['MessageReceived'],
    stage: 'raw',
    chained: false,
    description: 'A chat message a user sent (web, mobile or API).',
    schema: messageReceivedDetailSchema,
  },
  InferenceCompleted: {
    source: inferenceCompletedEvent.source,
    detailType: inferenceCompletedEvent.detailType,
    detailTypes: [inferenceCompletedEvent.detailType],
    stage: 'completed',
    chained: false,
    description: 'One model answer the FM gateway produced, with tokens, cost and latency.',
    schema: inferenceCompletedDetailSchema,
  },
  ModerationFlagged: {
    source: eventSources.ai,
    detailType: 'ModerationFlagged',
    detailTypes: ['ModerationFlagged'],
    stage: 'processed',
    chained: true,
    description: 'A customer review the moderation model found unsafe, or could not judge.',
    schema: moderationFlaggedDetailSchema,
  },
  'Recommendation.Generated': {
    source: eventSources.ai,
    detailType: 'Recommendation.Generated',
    detailTypes: ['Recommendation.Generated'],
    stage: 'processed',
    chained: true,
    description: 'A regenerated recommendation list for one customer or segment.',
    schema: recommendationGeneratedDetailSchema,
  },
  PaymentCompleted: {
    source: eventSources.payments,
    detailType: 'PaymentCompleted',
    detailTypes: ['PaymentCompleted'],
    stage: 'raw',
    chained: false,
    description: 'A completed Stripe checkout, from the payments webhook.',
    schema: paymentCompletedDetailSchema,
  },
  ReviewSubmitted: {
    source: eventSources.reviews,
    detailType: 'ReviewSubmitted',
    detailTypes: ['ReviewSubmitted'],
    stage: 'raw',
    chained: false,
    description: 'A customer review, with a quick sentiment, from the reviews webhook.',
    schema: reviewSubmittedDetailSchema,
  },
  JobCompleted: {
    source: eventSources.ai,
    detailType: 'JobCompleted',
    detailTypes: ['JobCompleted'],
    stage: 'completed',
    chained: false,
    description: 'A document job succeeded: its usage and cost (the result is at the jobs API).',
    schema: jobEndedDetailSchema,
  },
  JobFailed: {
    source: eventSources.ai,
    detailType: 'JobFailed',
    detailTypes: ['JobFailed'],
    stage: 'completed',
    chained: false,
    description: 'A document job failed, with the reason.',
    schema: jobEndedDetailSchema,
  },
  'CatalogUpdate.*': {
    source: eventSources.catalog,
    detailType: 'CatalogUpdate',
    detailTypes: catalogUpdateTypes.map((type) => `${catalogUpdatePrefix}${type}`),
    detailTypePrefix: catalogUpdatePrefix,
    stage: 'raw',
    chained: false,
    description:
      'One catalog item update, from the catalog webhook; the detail type ends with its update_type.',
    schema: catalogUpdateDetailSchema,
  },
} as const satisfies Record<string, BusEventDefinition>;

export type BusEventName = keyof typeof busEvents;

/**
 * The definition of the event with this source and detail type, or `undefined` for an event
 * that is not on the bus's contract. Exact detail types first; then families by prefix
 * (`CatalogUpdate.restock`, and any other `CatalogUpdate.<suffix>` — its detail's `update_type`
 * enum still rejects an unknown type). The source must match too.
 */
export function busEventDefinition(source: string, detailType: string): BusEventDefinition | undefined {
  const definitions: readonly BusEventDefinition[] = Object.values(busEvents);
  const candidates = definitions.filter((definition) => definition.source === source);
  return (
    candidates.find((definition) => definition.detailTypes.includes(detailType)) ??
    candidates.find(
      ({ detailTypePrefix: prefix }) =>
        prefix !== undefined && detailType.length > prefix.length && detailType.startsWith(prefix),
    )
  );
}

/** The detail schema of the event with this source and detail type; `undefined` when unknown. */
export function busEventSchema(
  source: string,
  detailType: string,
): z.ZodMiniType<Record<string, unknown>> | undefined {
  return busEventDefinition(source, detailType)?.schema;
}
