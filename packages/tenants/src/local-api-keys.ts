import { randomBytes } from 'node:crypto';
import type { Tenant } from '@mangaassist/contracts';
import { TenantDirectory } from './tenant-directory.js';
import { type TenantKeys, tenantKeysOf } from './tenant-keys.js';

/** A dev tenant's key, as `GET /_local/api-keys` lists it. */
export interface LocalApiKey {
  /** The tenant id. */
  readonly tenant: string;
  /** The key value a client sends as `x-api-key`. */
  readonly key: string;
}

/** What the local server learns from a valid `x-api-key`, as API Gateway would. */
export interface LocalApiKeyMatch {
  readonly tenant: Tenant;
  /** The key's ID, to pass as `requestContext.identity.apiKeyId` (`local-<tenant id>`). */
  readonly apiKeyId: string;
}

/**
 * API keys for `pnpm dev`, standing in for API Gateway's: a random value per tenant, made at
 * start-up (never stored, never the same twice), checked in constant time.
 */
export interface LocalApiKeys {
  /** The key's tenant and key ID; undefined for a missing or unknown key. */
  match(value: string | undefined): LocalApiKeyMatch | undefined;
  /** The key's tenant; undefined for a missing or unknown key. */
  tenantForKey(value: string | undefined): Tenant | undefined;
  /** Every tenant's key, in the order the tenants were given. */
  list(): LocalApiKey[];
  /**
   * The tenants with their key IDs mapped as `TENANTS_JSON` maps API Gateway's, so the
   * deployed code path (`tenantForApiKeyId`) runs unchanged locally.
   */
  readonly directory: TenantDirectory;
  /** The key values both ways, as the deployed authorizer reads them from API Gateway. */
  readonly values: TenantKeys;
}

interface Entry extends LocalApiKeyMatch {
  readonly key: string;
}

/** 30 random bytes are exactly 40 base64url characters (API Gateway needs at least 20). */
const keyBytes = 30;

/**
 * Makes one random key (40 URL-safe characters, from `crypto.randomBytes`) per tenant. The key
 * ID of tenant `t` is `local-t`. Throws `TenantConfigError` for duplicate tenant ids.
 *
 * @example
 * const keys = createLocalApiKeys(devTenants);
 * const match = keys.match(request.headers['x-api-key']); // undefined → 403, as API Gateway
 */
export function createLocalApiKeys(tenants: readonly Tenant[]): LocalApiKeys {
  const entries: Entry[] = tenants.map((tenant) => {
    const key = randomBytes(keyBytes).toString('base64url');
    return { tenant, apiKeyId: `local-${tenant.id}`, key };
  });
  const values = tenantKeysOf(entries.map(({ tenant, key }) => ({ tenantId: tenant.id, value: key })));
  const byTenant = new Map(entries.map((entry) => [entry.tenant.id, entry]));
  const directory = TenantDirectory.fromConfig({
    tenants: [...tenants],
    apiKeys: Object.fromEntries(entries.map((entry) => [entry.apiKeyId, entry.tenant.id])),
  });

  const match = (value: string | undefined): LocalApiKeyMatch | undefined => {
    if (value === undefined || value === '') return undefined;
    const found = byTenant.get(values.tenantOfKey(value) ?? '');
    return found === undefined ? undefined : { tenant: found.tenant, apiKeyId: found.apiKeyId };
  };

  return {
    match,
    tenantForKey: (value) => match(value)?.tenant,
    list: () => entries.map(({ tenant, key }) => ({ tenant: tenant.id, key })),
    directory,
    values,
  };
}
