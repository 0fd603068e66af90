import * as z from 'zod';

/**
 * A tenant of the API: its API key's usage plan (seed 001 §2.4.3: 100 rps, burst 200,
 * 100 000 requests a month) and its daily model budget, enforced by the API before any model
 * call, across every instance.
 */
export const tenantSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and "-"'),
    name: z.string().min(1).max(128),
    throttle: z
      .object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() })
      .strict()
      .default({ rateLimit: 100, burstLimit: 200 }),
    quota: z
      .object({ limit: z.number().int().positive(), period: z.enum(['DAY', 'WEEK', 'MONTH']) })
      .strict()
      .default({ limit: 100_000, period: 'MONTH' }),
    /** USD of model usage a day (UTC) before requests get 429 `budget_exhausted`. */
    dailyBudgetUsd: z.number().positive().default(50),
  })
  .strict();

export type Tenant = z.output<typeof tenantSchema>;
