import { describe, expect, it } from 'vitest';
import { devTenants } from './dev-tenants.js';
import { createLocalApiKeys } from './local-api-keys.js';
import { TenantConfigError } from './tenant-directory.js';
import { tenant } from './testing/tenant-fixtures.js';

describe('createLocalApiKeys', () => {
  it('makes one 40-character URL-safe key per tenant', () => {
    const keys = createLocalApiKeys(devTenants).list();
    expect(keys.map((entry) => entry.tenant)).toEqual([
      'dev-manga-store',
      'dev-small-shop',
      'dev-load-test',
      'dev-mobile-app',
    ]);
    for (const { key } of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(new Set(keys.map((entry) => entry.key)).size).toBe(keys.length);
  });

  it('makes new keys every time it starts', () => {
    const first = createLocalApiKeys(devTenants).list();
    const second = createLocalApiKeys(devTenants).list();
    expect(first[0]?.key).not.toBe(second[0]?.key);
  });

  it('finds the tenant and key id of a valid key', () => {
    const keys = createLocalApiKeys(devTenants);
    const small = keys.list().find((entry) => entry.tenant === 'dev-small-shop');
    expect(keys.tenantForKey(small?.key)?.id).toBe('dev-small-shop');
    expect(keys.match(small?.key)).toMatchObject({ apiKeyId: 'local-dev-small-shop' });
  });

  it('maps each key id to its tenant in its directory, as TENANTS_JSON does when deployed', () => {
    const keys = createLocalApiKeys(devTenants);
    const match = keys.match(keys.list()[0]?.key);
    expect(match && keys.directory.tenantForApiKeyId(match.apiKeyId)?.id).toBe('dev-manga-store');
  });

  it('answers undefined for a missing, empty, unknown or nearly right key', () => {
    const keys = createLocalApiKeys(devTenants);
    const real = keys.list()[0]?.key ?? '';
    for (const value of [
      undefined,
      '',
      'not-a-key',
      `${real.slice(0, -1)}x`,
      `${real} `,
      real.toUpperCase(),
    ]) {
      if (value === real) continue;
      expect(keys.tenantForKey(value)).toBeUndefined();
    }
  });

  it('refuses duplicate tenant ids', () => {
    expect(() => createLocalApiKeys([tenant({ id: 'same' }), tenant({ id: 'same' })])).toThrow(
      TenantConfigError,
    );
  });
});

describe('devTenants', () => {
  it('has a store with the defaults, a shop whose budget a few requests spend, room for an hour of load, and an app that needs user tokens', () => {
    expect(devTenants.map((entry) => [entry.id, entry.dailyBudgetUsd, entry.requireUserToken])).toEqual([
      ['dev-manga-store', 50, false],
      ['dev-small-shop', 0.001, false],
      ['dev-load-test', 10_000, false],
      ['dev-mobile-app', 50, true],
    ]);
  });
});
