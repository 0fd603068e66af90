import { type Tenant, tenantSchema } from '@mangaassist/contracts';

/** The `pnpm dev` tenant of load runs (`pnpm bench soak` reads its key from the banner). */
export const loadTestTenantId = 'dev-load-test';

/**
 * The tenants of `pnpm dev`: `dev-manga-store` with the production defaults (100 rps, burst
 * 200, 100 000 requests a month, $50 a day), `dev-small-shop` with a $0.001 daily budget, so
 * that two or three chat requests spend it and the 429 `budget_exhausted` path is easy to try,
 * `dev-load-test` for load runs (`pnpm bench soak`: an hour at 100 req/s spends ~$220 of
 * emulated model usage, which would stop the store after ~13 minutes), and `dev-mobile-app`, whose key ships in an app and so
 * admits nothing without an end user's token (`POST /_local/tokens`).
 */
export const devTenants: readonly Tenant[] = [
  tenantSchema.parse({ id: 'dev-manga-store', name: 'Dev manga store' }),
  tenantSchema.parse({ id: 'dev-small-shop', name: 'Dev small shop (tiny budget)', dailyBudgetUsd: 0.001 }),
  tenantSchema.parse({ id: loadTestTenantId, name: 'Dev load tests (large budget)', dailyBudgetUsd: 10_000 }),
  tenantSchema.parse({
    id: 'dev-mobile-app',
    name: 'Dev mobile app (end user tokens)',
    requireUserToken: true,
  }),
];
