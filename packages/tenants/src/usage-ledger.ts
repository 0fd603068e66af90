/** What a tenant has spent on models in one day. */
export interface DailyUsage {
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly requests: number;
}

/**
 * The usage-ledger port: per-tenant daily model spend, shared by every instance (Redis when
 * deployed), so a budget holds across Lambda instances and containers. `day` is `YYYY-MM-DD` (UTC).
 */
export interface UsageLedger {
  spent(tenantId: string, day: string): Promise<DailyUsage>;
  /** Adds one request's usage atomically. */
  add(tenantId: string, day: string, usage: Omit<DailyUsage, 'requests'>): Promise<void>;
}
