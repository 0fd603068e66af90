import * as z from 'zod';

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
    webhookSources.map((source) => [source, z.array(z.string().min(1)).default(() => [])]),
  ) as Record<WebhookSource, z.ZodDefault<z.ZodArray<z.ZodString>>>,
);
export type WebhookSecrets = z.infer<typeof webhookSecretsSchema>;

/** Stripe's event envelope (only what the platform reads; other fields pass through). */
export const stripeEventSchema = z.object({
  // Bounded so that `stripe:{id}` is always a valid idempotency key (Stripe's ids are ~30 chars).
  id: z
    .string()
    .max(255)
    .regex(/^evt_[A-Za-z0-9]+$/),
  type: z.string().min(1),
  created: z.number().int().optional(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

/** `checkout.session.completed`'s session object, as far as an order confirmation needs it. */
export const stripeCheckoutSessionSchema = z.object({
  id: z.string(),
  amount_total: z.number().int().nonnegative().nullable(),
  currency: z.string().min(3).max(3).nullable(),
  // Stripe's own address rules, not ours: a strict check here would refuse a paid order forever.
  customer_details: z
    .object({ email: z.string().max(512).nullable().optional() })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  client_reference_id: z.string().nullable().optional(),
});

export const reviewPayloadSchema = z
  .object({
    review_id: z.string().min(1).max(128),
    product_id: z.string().min(1).max(128),
    rating: z.number().int().min(1).max(5).optional(),
    review_text: z.string().min(1).max(10_000),
    customer_id: z.string().max(128).optional(),
    language: z.enum(['ja', 'en', 'zh']).optional(),
  })
  .strict();

export const catalogUpdateTypes = [
  'new_release',
  'price_change',
  'restock',
  'discontinued',
  'metadata_change',
] as const;

export const catalogItemSchema = z
  .object({
    product_id: z.string().min(1).max(128),
    title: z.string().min(1).max(512),
    update_type: z.enum(catalogUpdateTypes),
    data: z
      .object({
        author: z.string().max(256).optional(),
        genre: z.string().max(128).optional(),
        volume: z.number().int().positive().optional(),
        synopsis: z.string().max(8000).optional(),
        price_jpy: z.number().int().nonnegative().optional(),
        isbn: z.string().max(32).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export const catalogBatchSchema = z
  .object({
    batch_id: z.string().min(1).max(128),
    publisher: z.string().max(128).optional(),
    items: z.array(catalogItemSchema).min(1).max(webhookLimits.maxCatalogItems),
  })
  .strict();

/** Events the webhooks publish carry `processing_stage: raw`: they start a chain, never continue one. */
const raw = { processing_stage: z.literal('raw') };

export const paymentCompletedDetailSchema = z.object({
  order_id: z.string(),
  stripe_event_id: z.string(),
  checkout_session_id: z.string(),
  amount: z.number().int().nonnegative(),
  currency: z.string(),
  customer_email: z.string().optional(),
  ...raw,
});
export type PaymentCompletedDetail = z.output<typeof paymentCompletedDetailSchema>;

export const sentiments = ['positive', 'negative', 'neutral', 'mixed', 'unknown'] as const;

export const reviewSubmittedDetailSchema = z.object({
  review_id: z.string(),
  product_id: z.string(),
  rating: z.number().int().min(1).max(5).optional(),
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
