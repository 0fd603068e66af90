import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import type { TokenIssuer } from '../token-verifier.js';

/** What `POST /_local/tokens` is asked for. */
export interface LocalTokenRequest {
  readonly tenantId: string;
  /** @default 'local-user' */
  readonly subject?: string;
  /** @default 3600 */
  readonly expiresInSeconds?: number;
}

export interface LocalToken {
  readonly token: string;
  /** When it expires, ISO 8601. */
  readonly expiresAt: string;
}

/** `pnpm dev`'s stand-in for Cognito: an ES256 key made at start-up, and tokens signed with it. */
export interface LocalTokenIssuer extends Required<TokenIssuer> {
  /** The public key, as a JWKS document (`GET /_local/.well-known/jwks.json`). */
  readonly jwks: JSONWebKeySet;
  /** The key set the verifier checks signatures against (the same document, in process). */
  readonly keys: JWTVerifyGetKey;
  issue(request: LocalTokenRequest): Promise<LocalToken>;
}

/**
 * Makes a fresh signing key (never stored, never the same twice) and issues ID-token-shaped JWTs
 * (`iss`, `aud`, `sub`, `exp`, `iat`, `token_use: id` and the tenant claim) for `issuer`, which
 * the deployed verifier code accepts exactly as it accepts Cognito's.
 */
export async function createLocalTokenIssuer(issuer: Required<TokenIssuer>): Promise<LocalTokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const audience = issuer.audience[0];
  if (audience === undefined) throw new Error('A local token issuer needs an audience.');
  return {
    ...issuer,
    jwks,
    keys: createLocalJWKSet(jwks),
    async issue({ tenantId, subject = 'local-user', expiresInSeconds = 3600 }) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ [issuer.tenantClaim]: tenantId, token_use: 'id' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(issuer.issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .sign(privateKey);
      return { token, expiresAt: new Date((now + expiresInSeconds) * 1000).toISOString() };
    },
  };
}
