import { recordingLogger } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import { BudgetExhaustedError } from './budget.js';
import { BudgetGuard, type BudgetGuardOptions } from './budget-guard.js';
import { MemoryUsageLedger } from './memory-usage-ledger.js';
import { TenantDirectory } from './tenant-directory.js';
import { tenant, wallClock } from './testing/tenant-fixtures.js';
import type { UsageLedger } from './usage-ledger.js';

const directory = TenantDirectory.fromConfig({
  tenants: [tenant({ id: 'manga-store' }), tenant({ id: 'small-shop', dailyBudgetUsd: 0.01 })],
});

function usage(costUsd: number) {
  return { costUsd, inputTokens: 100, outputTokens: 50 };
}

function guard(options: Partial<BudgetGuardOptions> = {}) {
  const clock = wallClock();
  const ledger = new MemoryUsageLedger();
  const budget = new BudgetGuard({ ledger, tenants: directory, now: clock.now, ...options });
  return { budget, ledger, clock };
}

/** A ledger whose store is down. */
const unreachableLedger: UsageLedger = {
  spent: async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  },
  add: async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
  },
};

describe('BudgetGuard', () => {
  it('allows a tenant that has spent less than its daily budget', async () => {
    const { budget } = guard();
    await budget.record('small-shop', usage(0.009));
    await expect(budget.check('small-shop')).resolves.toEqual({ allowed: true });
  });

  it('denies a tenant once its spend reaches the budget, until the next UTC midnight', async () => {
    const { budget, clock } = guard();
    await budget.record('small-shop', usage(0.006));
    await budget.record('small-shop', usage(0.004));
    clock.set(Date.UTC(2025, 0, 1, 23, 59, 30));
    await expect(budget.check('small-shop')).resolves.toEqual({
      allowed: false,
      spentUsd: 0.01,
      budgetUsd: 0.01,
      retryAfterSeconds: 30,
    });
  });

  it('resets at midnight UTC', async () => {
    const { budget, clock } = guard();
    await budget.record('small-shop', usage(0.02));
    clock.set(Date.UTC(2025, 0, 2, 0, 0, 0));
    await expect(budget.check('small-shop')).resolves.toEqual({ allowed: true });
  });

  it('keeps tenants apart', async () => {
    const { budget } = guard();
    await budget.record('small-shop', usage(0.02));
    await expect(budget.check('manga-store')).resolves.toEqual({ allowed: true });
  });

  it('counts tokens and requests in the ledger under the UTC day', async () => {
    const { budget, ledger } = guard();
    await budget.record('manga-store', usage(0.5));
    await budget.record('manga-store', usage(0.25));
    await expect(ledger.spent('manga-store', '2025-01-01')).resolves.toEqual({
      costUsd: 0.75,
      inputTokens: 200,
      outputTokens: 100,
      requests: 2,
    });
  });

  it('counts nonsensical usage (negative, NaN, fractional tokens) as zero or whole tokens', async () => {
    const { budget, ledger } = guard();
    await budget.record('manga-store', { costUsd: Number.NaN, inputTokens: -5, outputTokens: 2.6 });
    await expect(ledger.spent('manga-store', '2025-01-01')).resolves.toEqual({
      costUsd: 0,
      inputTokens: 0,
      outputTokens: 3,
      requests: 1,
    });
  });

  it('gives an unknown tenant the default budget and warns about it', async () => {
    const logger = recordingLogger();
    const { budget } = guard({ logger });
    await budget.record('stranger', usage(49.99));
    await expect(budget.check('stranger')).resolves.toEqual({ allowed: true });
    await budget.record('stranger', usage(0.01));
    await expect(budget.check('stranger')).resolves.toMatchObject({ allowed: false, budgetUsd: 50 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Unknown tenant; applying the default daily budget',
      }),
    );
  });

  it('denies unknown tenants outright when their budget is set to zero', async () => {
    const { budget } = guard({ unknownTenantBudgetUsd: 0 });
    await expect(budget.check('stranger')).resolves.toMatchObject({
      allowed: false,
      spentUsd: 0,
      budgetUsd: 0,
    });
  });

  it('allows every request while the ledger is unreachable, warning once a minute', async () => {
    const logger = recordingLogger();
    const { budget, clock } = guard({ ledger: unreachableLedger, logger });
    for (let request = 0; request < 5; request++) {
      await expect(budget.check('small-shop')).resolves.toEqual({ allowed: true });
      await expect(budget.record('small-shop', usage(1))).resolves.toBeUndefined();
    }
    clock.advanceMs(60_000);
    await budget.check('small-shop');
    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]?.fields).toMatchObject({
      occurrences: 10,
      error: 'connect ECONNREFUSED 127.0.0.1:6390',
    });
  });

  it('logs once when the ledger is reachable again', async () => {
    const logger = recordingLogger();
    let down = true;
    const memory = new MemoryUsageLedger();
    const flaky: UsageLedger = {
      spent: (tenantId, day) => (down ? unreachableLedger.spent(tenantId, day) : memory.spent(tenantId, day)),
      add: (tenantId, day, entry) => memory.add(tenantId, day, entry),
    };
    const { budget } = guard({ ledger: flaky, logger });
    await budget.check('manga-store');
    down = false;
    await budget.check('manga-store');
    await budget.check('manga-store');
    expect(logger.entries.filter((entry) => entry.level === 'info')).toEqual([
      expect.objectContaining({
        message: 'Usage ledger is reachable again; budgets enforced',
        fields: { failures: 1 },
      }),
    ]);
  });
});

describe('BudgetExhaustedError', () => {
  it('carries the decision and says when the budget resets', () => {
    const error = new BudgetExhaustedError('small-shop', 0.0123, 0.01, 3600);
    expect(error).toMatchObject({
      tenantId: 'small-shop',
      spentUsd: 0.0123,
      budgetUsd: 0.01,
      retryAfterSeconds: 3600,
    });
    expect(error.message).toBe(
      'Tenant small-shop has spent $0.0123 of its $0.01 daily model budget; it resets in 3600 s (midnight UTC).',
    );
  });
});
