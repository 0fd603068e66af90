import type { DailyUsage, UsageLedger } from './usage-ledger.js';

const nothing: DailyUsage = { costUsd: 0, inputTokens: 0, outputTokens: 0, requests: 0 };

/**
 * A `UsageLedger` in this process's memory: for tests and a single-process `pnpm dev` without
 * Redis. It does not hold a budget across instances — deployed, use `RedisUsageLedger`. Keeps
 * every day it has seen (a few numbers per tenant a day). Never throws.
 */
export class MemoryUsageLedger implements UsageLedger {
  private readonly days = new Map<string, DailyUsage>();

  async spent(tenantId: string, day: string): Promise<DailyUsage> {
    return { ...(this.days.get(keyOf(tenantId, day)) ?? nothing) };
  }

  async add(tenantId: string, day: string, usage: Omit<DailyUsage, 'requests'>): Promise<void> {
    const key = keyOf(tenantId, day);
    const current = this.days.get(key) ?? nothing;
    this.days.set(key, {
      costUsd: current.costUsd + usage.costUsd,
      inputTokens: current.inputTokens + usage.inputTokens,
      outputTokens: current.outputTokens + usage.outputTokens,
      requests: current.requests + 1,
    });
  }
}

// A separator no tenant id or day can contain.
const keyOf = (tenantId: string, day: string): string => `${tenantId}\u0000${day}`;
