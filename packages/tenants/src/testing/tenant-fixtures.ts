// Test data and helpers for the tenants module's tests (not part of the public surface).
import { type Tenant, tenantSchema } from '@mangaassist/contracts';

export { closedPort } from '@mangaassist/commons/testing';

/** A tenant with the schema's defaults unless overridden. */
export function tenant(overrides: Partial<Tenant> & { id?: string } = {}): Tenant {
  return tenantSchema.parse({ id: 'manga-store', name: 'Manga store', ...overrides });
}

/** Noon UTC on 2025-01-01, a day the budget tests start in. */
export const budgetEpoch = Date.UTC(2025, 0, 1, 12);

/** A wall clock in epoch milliseconds that the test moves by hand. */
export function wallClock(at = budgetEpoch) {
  let current = at;
  return {
    now: () => current,
    advanceMs: (ms: number) => {
      current += ms;
    },
    set: (epochMs: number) => {
      current = epochMs;
    },
  };
}

/** Waits for a Redis client to be ready; a missing Redis fails the test, it never skips. */
export async function untilReady(
  client: { readonly status: string; once(event: 'ready', listener: () => void): unknown },
  url: string,
): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis is not reachable at ${url}; start one or set REDIS_URL`)),
      5_000,
    );
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
