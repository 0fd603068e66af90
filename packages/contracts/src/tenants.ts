import * as z from 'zod/mini';

/**
 * A tenant of the API: its API key's usage plan (seed 001 §2.4.3: 100 rps, burst 200,
 * 100 000 requests a month) and its daily model budget, enforced by the API before any model
 * call, across every instance.
 */
export const tenantSchema = z.strictObject({
  id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and "-"')),
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  throttle: z._default(
    z.strictObject({
      rateLimit: z.number().check(z.positive()),
      burstLimit: z.int().check(z.positive()),
    }),
    { rateLimit: 100, burstLimit: 200 },
  ),
  quota: z._default(
    z.strictObject({
      limit: z.int().check(z.positive()),
      period: z.enum(['DAY', 'WEEK', 'MONTH']),
    }),
    { limit: 100_000, period: 'MONTH' },
  ),
  /** USD of model usage a day (UTC) before requests get 429 `budget_exhausted`. */
  dailyBudgetUsd: z._default(z.number().check(z.positive()), 50),
  /**
   * Whether the key alone admits a request. A tenant whose key ships inside a public client (a
   * mobile app, a web page) sets this: its key then only meters requests, and each must also
   * carry an end user's token naming the tenant (401 `user_token_required` without one).
   */
  requireUserToken: z._default(z.boolean(), false),
});

export type Tenant = z.output<typeof tenantSchema>;

/** The Secrets Manager secret holding a tenant's API key value, in a stage: deployed only. */
export function tenantApiKeySecretName(stage: string, tenantId: string): string {
  return `mangaassist-${stage}-api-key-${tenantId}`;
}
