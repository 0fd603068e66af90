import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Tenant } from '@mangaassist/contracts';
import { TenantDirectory } from './tenant-directory.js';

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
}

interface Entry extends LocalApiKeyMatch {
  readonly key: string;
  readonly digest: Buffer;
}

/** 30 random bytes are exactly 40 base64url characters (API Gateway needs at least 20). */
const keyBytes = 30;

const digestOf = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

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
    return { tenant, apiKeyId: `local-${tenant.id}`, key, digest: digestOf(key) };
  });
  const directory = TenantDirectory.fromConfig({
    tenants: [...tenants],
    apiKeys: Object.fromEntries(entries.map((entry) => [entry.apiKeyId, entry.tenant.id])),
  });

  const match = (value: string | undefined): LocalApiKeyMatch | undefined => {
    if (value === undefined || value === '') return undefined;
    // Comparing fixed-length digests of every key, without stopping at the first match,
    // makes the time independent of how much of a guess is right and of which key it is.
    const candidate = digestOf(value);
    let found: Entry | undefined;
    for (const entry of entries) {
      if (timingSafeEqual(entry.digest, candidate) && found === undefined) found = entry;
    }
    return found === undefined ? undefined : { tenant: found.tenant, apiKeyId: found.apiKeyId };
  };

  return {
    match,
    tenantForKey: (value) => match(value)?.tenant,
    list: () => entries.map(({ tenant, key }) => ({ tenant: tenant.id, key })),
    directory,
  };
}
