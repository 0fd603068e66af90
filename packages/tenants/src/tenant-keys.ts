import { createHash, timingSafeEqual } from 'node:crypto';

/** A tenant's API key value. */
export interface TenantKey {
  readonly tenantId: string;
  readonly value: string;
}

/** The tenants' API key values, both ways. */
export interface TenantKeys {
  /** The tenant whose key `value` is; undefined for an unknown key. Constant time in `value`. */
  tenantOfKey(value: string): string | undefined;
  /** The key value of `tenantId`, to meter a token's request against its usage plan. */
  keyOfTenant(tenantId: string): string | undefined;
}

/** Where the key values come from: API Gateway deployed, the dev keys locally. */
export type TenantKeySource = () => Promise<TenantKeys>;

const digestOf = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `TenantKeys` over `keys`. Every key is compared, as fixed-length digests, without stopping at
 * a match: the time taken says nothing about how much of a guess is right or whose key it is.
 */
export function tenantKeysOf(keys: readonly TenantKey[]): TenantKeys {
  const entries = keys.map((key) => ({ ...key, digest: digestOf(key.value) }));
  const byTenant = new Map(keys.map((key) => [key.tenantId, key.value]));
  return {
    tenantOfKey(value) {
      const candidate = digestOf(value);
      let found: string | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, candidate)) found = entry.tenantId;
      }
      return found;
    },
    keyOfTenant: (tenantId) => byTenant.get(tenantId),
  };
}
