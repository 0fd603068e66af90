import {
  errorMessage,
  type Logger,
  RateLimitedWarning,
  secondsUntilNextUtcMidnight,
  silentLogger,
  utcDay,
} from '@mangaassist/commons';
import { tenantSchema } from '@mangaassist/contracts';
import type { BudgetDecision, BudgetUsage, TenantBudget } from './budget.js';
import type { TenantLookup } from './tenant-directory.js';
import type { UsageLedger } from './usage-ledger.js';

/** The daily budget a tenant gets when its configuration does not say (`tenantSchema`'s default). */
export const defaultDailyBudgetUsd: number = tenantSchema.shape.dailyBudgetUsd.parse(undefined);

export interface BudgetGuardOptions {
  /** Shared by every instance (Redis when deployed), so the budget holds across all of them. */
  readonly ledger: UsageLedger;
  /** Where each tenant's `dailyBudgetUsd` comes from. */
  readonly tenants: TenantLookup;
  /**
   * The budget of a tenant id the directory does not know (an API key missing from
   * `TENANTS_JSON`, or `anonymous` on a stage without keys). `0` denies such tenants outright.
   * @default defaultDailyBudgetUsd ($50)
   */
  readonly unknownTenantBudgetUsd?: number;
  /** Wall-clock time in epoch milliseconds: it decides the UTC day. @default Date.now */
  readonly now?: () => number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Least time between two warnings of the same kind. @default 60_000 */
  readonly warnIntervalMs?: number;
}

/**
 * The per-tenant daily budget: a request is allowed while the tenant's spend today (UTC, as
 * recorded in the ledger) is below its `dailyBudgetUsd`; from then on it is denied until the
 * next UTC midnight (`retryAfterSeconds`).
 *
 * The budget is soft: check and record are separate, so requests already in flight when the
 * budget runs out still finish and are counted — a tenant may overshoot by about its
 * concurrency times one answer's cost.
 *
 * Failure semantics: never throws. When the ledger cannot answer, `check` allows (fails open)
 * and `record` drops the usage, each with a warning at most once a minute. A budget is a cost
 * guard-rail, not a security boundary: refusing every tenant's chat because Redis hiccuped
 * would turn a cache outage into a product outage, while the exposure while open stays bounded
 * by API Gateway's usage plans (throttle and quota per key), which never depend on Redis.
 *
 * Unknown tenants get `unknownTenantBudgetUsd` (the default budget) rather than a refusal, with
 * a warning: API Gateway has already authenticated the key, so a tenant missing from the
 * directory is a configuration gap that should not become an outage, yet still spends under a
 * cap. Set it to `0` to deny them instead.
 *
 * @example
 * const budget = new BudgetGuard({ ledger: new RedisUsageLedger(redis), tenants: directory, logger });
 * const decision = await budget.check(request.tenantId);
 */
export class BudgetGuard implements TenantBudget {
  private readonly ledger: UsageLedger;
  private readonly tenants: TenantLookup;
  private readonly unknownTenantBudgetUsd: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly outageWarning: RateLimitedWarning;
  private readonly unknownTenantWarning: RateLimitedWarning;

  constructor(options: BudgetGuardOptions) {
    const unknownTenantBudgetUsd = options.unknownTenantBudgetUsd ?? defaultDailyBudgetUsd;
    if (!(unknownTenantBudgetUsd >= 0)) {
      throw new RangeError(`unknownTenantBudgetUsd must be >= 0, got ${unknownTenantBudgetUsd}`);
    }
    this.ledger = options.ledger;
    this.tenants = options.tenants;
    this.unknownTenantBudgetUsd = unknownTenantBudgetUsd;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    const warnIntervalMs = options.warnIntervalMs ?? 60_000;
    this.outageWarning = new RateLimitedWarning(this.logger, this.now, warnIntervalMs);
    this.unknownTenantWarning = new RateLimitedWarning(this.logger, this.now, warnIntervalMs);
  }

  async check(tenantId: string): Promise<BudgetDecision> {
    const at = this.now();
    const budgetUsd = this.budgetOf(tenantId);
    let spentUsd: number;
    try {
      spentUsd = (await this.ledger.spent(tenantId, utcDay(at))).costUsd;
    } catch (error) {
      this.outageWarning.warn('Usage ledger unavailable; tenant budgets are not enforced (failing open)', {
        operation: 'check',
        tenantId,
        error: errorMessage(error),
      });
      return { allowed: true };
    }
    this.recovered();
    if (spentUsd < budgetUsd) return { allowed: true };
    return { allowed: false, spentUsd, budgetUsd, retryAfterSeconds: secondsUntilNextUtcMidnight(at) };
  }

  async record(tenantId: string, usage: BudgetUsage): Promise<void> {
    const day = utcDay(this.now());
    try {
      await this.ledger.add(tenantId, day, {
        costUsd: nonNegative(usage.costUsd),
        inputTokens: Math.round(nonNegative(usage.inputTokens)),
        outputTokens: Math.round(nonNegative(usage.outputTokens)),
      });
    } catch (error) {
      this.outageWarning.warn('Usage ledger unavailable; usage not recorded', {
        operation: 'record',
        tenantId,
        costUsd: usage.costUsd,
        error: errorMessage(error),
      });
      return;
    }
    this.recovered();
  }

  private budgetOf(tenantId: string): number {
    const tenant = this.tenants.get(tenantId);
    if (tenant !== undefined) return tenant.dailyBudgetUsd;
    this.unknownTenantWarning.warn('Unknown tenant; applying the default daily budget', {
      tenantId,
      budgetUsd: this.unknownTenantBudgetUsd,
    });
    return this.unknownTenantBudgetUsd;
  }

  private recovered(): void {
    const failures = this.outageWarning.recover();
    if (failures > 0) this.logger.info('Usage ledger is reachable again; budgets enforced', { failures });
  }
}

/** Usage that is not a finite, non-negative number counts as zero rather than corrupting the sum. */
function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
