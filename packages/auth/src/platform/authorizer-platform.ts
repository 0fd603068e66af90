import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, configFromEnvironment, type EnvironmentField } from '@mangaassist/commons';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { gatewayEnvironment as names, stageSchema, tenantApiKeySecretName } from '@mangaassist/contracts';
import { TenantDirectory } from '@mangaassist/tenants';
import { createRemoteJWKSet } from 'jose';
import * as z from 'zod/mini';
import { type CallerAuthorizer, createCallerAuthorizer } from '../callers.js';
import { secretsManagerKeySource } from '../secrets-manager/secrets-manager-key-source.js';
import { createTokenVerifier, type TokenVerifier } from '../token-verifier.js';

export const authorizerConfigSchema = z.strictObject({
  stage: stageSchema,
  /** `{ tenants, apiKeys }`: who the keys belong to. */
  tenantsJson: z.string().check(z.minLength(2)),
  /** End users' token issuer; unset = API keys only. */
  issuer: z.optional(z.url()),
  audience: z._default(z.array(z.string().check(z.minLength(1))), []),
  jwksUrl: z.optional(z.url({ protocol: /^https$/ })),
  tenantClaim: z._default(z.string().check(z.minLength(1)), 'custom:tenant'),
});

export type AuthorizerConfig = z.output<typeof authorizerConfigSchema>;

const fields = {
  stage: { variable: names.stage },
  tenantsJson: { variable: names.tenants },
  issuer: { variable: names.authIssuer },
  audience: { variable: names.authAudience, format: 'list' },
  jwksUrl: { variable: names.authJwksUrl },
  tenantClaim: { variable: names.authTenantClaim },
} as const satisfies Record<keyof AuthorizerConfig, EnvironmentField>;

/** Reads the authorizer's configuration (`TENANTS_JSON`, `AUTH_*`); throws `ConfigurationError`. */
export function authorizerConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): AuthorizerConfig {
  const config = configFromEnvironment(authorizerConfigSchema, env, fields, 'authorizer');
  if (config.issuer !== undefined && config.audience.length === 0) {
    throw new ConfigurationError(
      `${names.authAudience} must name the token audience when ${names.authIssuer} is set`,
    );
  }
  return config;
}

/**
 * The composition root of the REST API's Lambda authorizer: the tenants of `TENANTS_JSON`, their
 * key values from their Secrets Manager secrets, and (with an issuer) the token verifier over the issuer's JWKS,
 * fetched over HTTPS and cached by jose for an hour (refetched for an unknown `kid` at most
 * every 30 s).
 */
export function createAuthorizerPlatform(config: AuthorizerConfig): CallerAuthorizer {
  const tenants = TenantDirectory.fromJson(config.tenantsJson);
  return createCallerAuthorizer({
    tenants,
    keys: secretsManagerKeySource(
      traceAwsClient(new SecretsManagerClient({})),
      Object.fromEntries(tenants.list().map(({ id }) => [id, tenantApiKeySecretName(config.stage, id)])),
    ),
    ...(config.issuer === undefined ? {} : { verifyToken: remoteVerifier(config, config.issuer) }),
  });
}

/**
 * Where the issuer's signing keys are: `AUTH_JWKS_URL`, else Cognito's `<issuer>/.well-known/jwks.json`
 * (other issuers publish theirs elsewhere, so the stacks always set it for them).
 */
export function jwksUrlOf(config: Pick<AuthorizerConfig, 'jwksUrl'>, issuer: string): URL {
  return new URL(config.jwksUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`);
}

/** Keys are refetched at most hourly, and at once for a `kid` not seen yet (at most every 30 s). */
const jwksCacheMaxAgeMs = 60 * 60 * 1000;

function remoteVerifier(config: AuthorizerConfig, issuer: string): TokenVerifier {
  return createTokenVerifier(
    { issuer, audience: config.audience, tenantClaim: config.tenantClaim },
    createRemoteJWKSet(jwksUrlOf(config, issuer), { timeoutDuration: 2000, cacheMaxAge: jwksCacheMaxAgeMs }),
  );
}
