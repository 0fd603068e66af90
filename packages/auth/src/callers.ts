import type { TenantKeySource, TenantLookup } from '@mangaassist/tenants';
import type { Refusal } from './refusal.js';
import type { TokenVerifier } from './token-verifier.js';

/** What a request presents: its `Authorization` and `x-api-key` headers. */
export interface Credentials {
  readonly authorization?: string | undefined;
  readonly apiKey?: string | undefined;
}

/** A caller let in: whose request it is, and the key whose usage plan meters it. */
export interface Admission {
  readonly allowed: true;
  readonly tenantId: string;
  /** The API key value API Gateway meters the request against (`usageIdentifierKey`). */
  readonly usageKey: string;
  /** The end user (`sub`) when a token admitted the request. */
  readonly subject?: string;
}

/** The caller's name in API Gateway's `principalId`: the end user, else the tenant. */
export const principalOf = (admission: Admission): string =>
  admission.subject ?? `tenant:${admission.tenantId}`;

export type CallerDecision = Admission | ({ readonly allowed: false } & Refusal);

/** Decides who is calling; throws `IssuerUnavailableError` when a token cannot be checked yet. */
export type CallerAuthorizer = (credentials: Credentials) => Promise<CallerDecision>;

export interface CallerAuthorizerOptions {
  readonly tenants: TenantLookup;
  /** The tenants' key values (loaded once, on the first request, and kept). */
  readonly keys: TenantKeySource;
  /** End users' tokens; unset = the API takes API keys only. */
  readonly verifyToken?: TokenVerifier;
}

const refuse = (code: Refusal['code'], reason: string): CallerDecision => ({ allowed: false, code, reason });

const bearer = /^Bearer +(\S+)$/i;

/**
 * The one decision over who may call the REST API, made by the Lambda authorizer deployed and by
 * `pnpm dev` locally:
 * - `Authorization: Bearer <JWT>` of the trusted issuer: the tenant its claim names, metered
 *   against that tenant's key (an `x-api-key` sent too must be the same tenant's); another
 *   `Authorization` scheme beside a key (a proxy's Basic, SigV4) is left to the key;
 * - else `x-api-key` alone: its tenant, unless the tenant `requireUserToken`s;
 * - else, or anything malformed, unknown or expired: a refusal with its reason (401).
 */
export function createCallerAuthorizer(options: CallerAuthorizerOptions): CallerAuthorizer {
  return async ({ authorization, apiKey }) => {
    const hasKey = apiKey !== undefined && apiKey !== '';
    // Another scheme beside a key (a proxy's Basic, a SigV4 signature) is not ours: the key decides.
    if (
      authorization !== undefined &&
      authorization !== '' &&
      (!hasKey || /^bearer\b/i.test(authorization))
    ) {
      const token = bearer.exec(authorization)?.[1];
      if (token === undefined)
        return refuse('invalid_token', 'Send the token as Authorization: Bearer <token>.');
      if (options.verifyToken === undefined) {
        return refuse('invalid_token', 'This API takes API keys only, not bearer tokens.');
      }
      const verdict = await options.verifyToken(token);
      if (!verdict.valid) return refuse(verdict.code, verdict.reason);
      const keys = await options.keys();
      const usageKey = keys.keyOfTenant(verdict.tenantId);
      // Keys exist only for the API's tenants: no key, no such tenant.
      if (usageKey === undefined) {
        return refuse('unknown_tenant', 'The bearer token names a tenant this API does not have.');
      }
      if (hasKey && keys.tenantOfKey(apiKey) !== verdict.tenantId) {
        return refuse('tenant_mismatch', 'The x-api-key belongs to another tenant than the bearer token.');
      }
      return { allowed: true, tenantId: verdict.tenantId, usageKey, subject: verdict.subject };
    }
    if (!hasKey) {
      return refuse(
        'missing_credentials',
        'Send an x-api-key, or an end user token as Authorization: Bearer.',
      );
    }
    const tenantId = (await options.keys()).tenantOfKey(apiKey);
    const tenant = tenantId === undefined ? undefined : options.tenants.get(tenantId);
    if (tenant === undefined) return refuse('invalid_api_key', 'The x-api-key is not a key of this API.');
    if (tenant.requireUserToken) {
      return refuse('user_token_required', "This tenant's requests need an end user token as well.");
    }
    return { allowed: true, tenantId: tenant.id, usageKey: apiKey };
  };
}
