import * as z from 'zod/mini';

/**
 * Inbound webhooks (seed 000 §2, §5.1): one Lambda function URL per source, locally
 * `POST /webhooks/{source}`. Each payload is validated by its schema after its signature.
 */
export const webhookSources = ['stripe', 'reviews', 'catalog'] as const;
export type WebhookSource = (typeof webhookSources)[number];

export const webhookLimits = {
  /** Largest body accepted (Lambda function URLs take up to 6 MB; catalogs can be large). */
  maxBodyBytes: 5 * 1024 * 1024,
  /** Signed timestamps may be this far in the past or the future. */
  toleranceSeconds: 300,
  /** How long a delivery is remembered: longer than Stripe's 3-day retry window. */
  idempotencyTtlSeconds: 7 * 24 * 3600,
  /** How long a claim stays in progress before a crashed attempt stops blocking retries. */
  inProgressTtlSeconds: 60,
  maxCatalogItems: 10_000,
} as const;

/**
 * `{ "stripe": ["whsec_…"], "reviews": [...], "catalog": [...] }`: every active secret per source
 * (several while a rotation is under way). One document serves every receiver, so a source may be
 * missing or empty (parsed as `[]`) and an unknown key (a source added before its code) is
 * accepted and dropped: each receiver requires at least one secret only for the source it serves
 * (core's `parseWebhookSecrets`), and a mistake in one source's secrets stops only that source.
 */
export const webhookSecretsSchema = z.object(
  Object.fromEntries(
    webhookSources.map((source) => [source, z._default(z.array(z.string().check(z.minLength(1))), () => [])]),
  ) as Record<WebhookSource, z.ZodMiniDefault<z.ZodMiniArray<z.ZodMiniString<string>>>>,
);
export type WebhookSecrets = z.infer<typeof webhookSecretsSchema>;

/** Stripe's event envelope (only what the platform reads; other fields pass through). */
export const stripeEventSchema = z.object({
  // Bounded so that `stripe:{id}` is always a valid idempotency key (Stripe's ids are ~30 chars).
  id: z.string().check(z.maxLength(255), z.regex(/^evt_[A-Za-z0-9]+$/)),
  type: z.string().check(z.minLength(1)),
  created: z.optional(z.int()),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

/** `checkout.session.completed`'s session object, as far as an order confirmation needs it. */
export const stripeCheckoutSessionSchema = z.object({
  id: z.string(),
  amount_total: z.nullable(z.int().check(z.nonnegative())),
  currency: z.nullable(z.string().check(z.minLength(3), z.maxLength(3))),
  // Stripe's own address rules, not ours: a strict check here would refuse a paid order forever.
  customer_details: z.optional(
    z.nullable(z.object({ email: z.optional(z.nullable(z.string().check(z.maxLength(512)))) })),
  ),
  metadata: z.optional(z.nullable(z.record(z.string(), z.string()))),
  client_reference_id: z.optional(z.nullable(z.string())),
});

export const reviewPayloadSchema = z.strictObject({
  review_id: z.string().check(z.minLength(1), z.maxLength(128)),
  product_id: z.string().check(z.minLength(1), z.maxLength(128)),
  rating: z.optional(z.int().check(z.minimum(1), z.maximum(5))),
  review_text: z.string().check(z.minLength(1), z.maxLength(10_000)),
  customer_id: z.optional(z.string().check(z.maxLength(128))),
  language: z.optional(z.enum(['ja', 'en', 'zh'])),
});

export const catalogUpdateTypes = [
  'new_release',
  'price_change',
  'restock',
  'discontinued',
  'metadata_change',
] as const;

export const catalogItemSchema = z.strictObject({
  product_id: z.string().check(z.minLength(1), z.maxLength(128)),
  title: z.string().check(z.minLength(1), z.maxLength(512)),
  update_type: z.enum(catalogUpdateTypes),
  data: z._default(
    z.strictObject({
      author: z.optional(z.string().check(z.maxLength(256))),
      genre: z.optional(z.string().check(z.maxLength(128))),
      volume: z.optional(z.int().check(z.positive())),
      synopsis: z.optional(z.string().check(z.maxLength(8000))),
      price_jpy: z.optional(z.int().check(z.nonnegative())),
      isbn: z.optional(z.string().check(z.maxLength(32))),
    }),
    {},
  ),
});

export const catalogBatchSchema = z.strictObject({
  batch_id: z.string().check(z.minLength(1), z.maxLength(128)),
  publisher: z.optional(z.string().check(z.maxLength(128))),
  items: z.array(catalogItemSchema).check(z.minLength(1), z.maxLength(webhookLimits.maxCatalogItems)),
});

/** Events the webhooks publish carry `processing_stage: raw`: they start a chain, never continue one. */
const raw = { processing_stage: z.literal('raw') };

export const paymentCompletedDetailSchema = z.object({
  order_id: z.string(),
  stripe_event_id: z.string(),
  checkout_session_id: z.string(),
  amount: z.int().check(z.nonnegative()),
  currency: z.string(),
  customer_email: z.optional(z.string()),
  ...raw,
});
export type PaymentCompletedDetail = z.output<typeof paymentCompletedDetailSchema>;

export const sentiments = ['positive', 'negative', 'neutral', 'mixed', 'unknown'] as const;

export const reviewSubmittedDetailSchema = z.object({
  review_id: z.string(),
  product_id: z.string(),
  rating: z.optional(z.int().check(z.minimum(1), z.maximum(5))),
  review_text: z.string(),
  sentiment: z.enum(sentiments),
  ...raw,
});
export type ReviewSubmittedDetail = z.output<typeof reviewSubmittedDetailSchema>;

export const catalogUpdateDetailSchema = z.object({
  batch_id: z.string(),
  product_id: z.string(),
  title: z.string(),
  update_type: z.enum(catalogUpdateTypes),
  data: catalogItemSchema.shape.data,
  ...raw,
});
export type CatalogUpdateDetail = z.output<typeof catalogUpdateDetailSchema>;
