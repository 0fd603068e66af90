import { type Tenant, tenantSchema } from '@mangaassist/contracts';

/**
 * The tenants of `pnpm dev`: `dev-manga-store` with the production defaults (100 rps, burst
 * 200, 100 000 requests a month, $50 a day) and `dev-small-shop` with a $0.001 daily budget, so
 * that two or three chat requests spend it and the 429 `budget_exhausted` path is easy to try.
 */
export const devTenants: readonly Tenant[] = [
  tenantSchema.parse({ id: 'dev-manga-store', name: 'Dev manga store' }),
  tenantSchema.parse({ id: 'dev-small-shop', name: 'Dev small shop (tiny budget)', dailyBudgetUsd: 0.001 }),
];
