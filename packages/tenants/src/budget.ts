/**
 * The tenant-budget port the chat service asks before every model call: each tenant has a
 * daily (UTC) model budget in USD; once it is spent, requests answer 429 `budget_exhausted`
 * without reaching a model, until the next UTC midnight.
 */
export interface TenantBudget {
  /** Whether the tenant may call a model now. Never throws. */
  check(tenantId: string): Promise<BudgetDecision>;
  /** Adds one answer's usage. Never throws. */
  record(tenantId: string, usage: BudgetUsage): Promise<void>;
}

/** One answer's usage, as `TenantBudget.record` counts it. */
export interface BudgetUsage {
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The answer of `TenantBudget.check`: allowed, or why not and until when. */
export type BudgetDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** What the tenant has spent today (UTC), USD. */
      readonly spentUsd: number;
      /** The tenant's daily budget, USD. */
      readonly budgetUsd: number;
      /** Seconds until the next UTC midnight, when the budget resets (at least 1). */
      readonly retryAfterSeconds: number;
    };

/**
 * Thrown by the chat service when `TenantBudget.check` denies a request; the API answers it
 * with 429 `budget_exhausted` and `Retry-After: retryAfterSeconds`.
 */
export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';

  constructor(
    readonly tenantId: string,
    readonly spentUsd: number,
    readonly budgetUsd: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Tenant ${tenantId} has spent $${spentUsd.toFixed(4)} of its $${budgetUsd} daily model budget; ` +
        `it resets in ${retryAfterSeconds} s (midnight UTC).`,
    );
  }
}
