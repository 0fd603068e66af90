// The public surface of @mangaassist/tenants.

export { type BudgetDecision, BudgetExhaustedError, type BudgetUsage, type TenantBudget } from './budget.js';
export { BudgetGuard, type BudgetGuardOptions } from './budget-guard.js';
export { devTenants, loadTestTenantId } from './dev-tenants.js';
export {
  FallbackTicketStore,
  type FallbackTicketStoreOptions,
  fallbackTicketPrefix,
} from './fallback-ticket-store.js';
export { createLocalApiKeys, type LocalApiKey, type LocalApiKeys } from './local-api-keys.js';
export { MemoryTicketStore } from './memory-ticket-store.js';
export { MemoryUsageLedger } from './memory-usage-ledger.js';
export { TicketStoreUnavailableError, UsageLedgerUnavailableError } from './store-errors.js';
export { TenantConfigError, TenantDirectory, type TenantLookup } from './tenant-directory.js';
export { type TenantKey, type TenantKeySource, type TenantKeys, tenantKeysOf } from './tenant-keys.js';
export {
  type TenantsConfig,
  tenantsConfigSchema,
  tenantsConfigShape,
  tenantsEnvironmentFields,
} from './tenants-config.js';
export { assertTicketTtl } from './ticket.js';
export type { TicketStore } from './ticket-store.js';
export type { DailyUsage, UsageLedger } from './usage-ledger.js';
export { makeWsTicketEndpoint, type WsTicketEndpointOptions } from './ws-ticket-endpoint.js';
