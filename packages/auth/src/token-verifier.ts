import { decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Refusal } from './refusal.js';

/** Who issues end users' tokens, and what a token must say to be taken. */
export interface TokenIssuer {
  /** The exact `iss` of the issuer's tokens (a Cognito pool: `https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
  readonly issuer: string;
  /** The clients a token may be for: its `aud`, or Cognito access tokens' `client_id`. At least one. */
  readonly audience: readonly string[];
  /** The claim naming the token's tenant. @default 'custom:tenant' */
  readonly tenantClaim?: string;
}

/** The end user a valid token speaks for. */
export interface VerifiedUser {
  /** The token's `sub`. */
  readonly subject: string;
  /** The tenant its `tenantClaim` names. */
  readonly tenantId: string;
}

export type TokenVerdict = ({ readonly valid: true } & VerifiedUser) | ({ readonly valid: false } & Refusal);

/** Verifies an end user's token; the verdict names what is wrong with a bad one. */
export type TokenVerifier = (token: string) => Promise<TokenVerdict>;

/** The issuer's signing keys could not be fetched: the token is neither good nor bad yet. */
export class IssuerUnavailableError extends Error {
  override readonly name = 'IssuerUnavailableError';
}

/** Asymmetric algorithms only: `none` and HMAC (a key the verifier would share) are refused. */
const algorithms = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'];

/** Clock skew tolerated between the issuer and this verifier, in seconds. */
const clockToleranceSeconds = 5;

const refuse = (code: Refusal['code'], reason: string): TokenVerdict => ({ valid: false, code, reason });

/**
 * A `TokenVerifier` for `issuer`, checking signatures against `keys` (jose's
 * `createRemoteJWKSet` for a deployed issuer, `createLocalJWKSet` for `pnpm dev`'s): the
 * algorithm must be asymmetric, `iss` exact, `exp` in the future (5 s of skew), `nbf` past, `sub`
 * present, `aud` (or `client_id`) one of `audience`, and `tenantClaim` a non-empty string.
 *
 * The issuer is checked on the unverified payload first, so a token from a foreign issuer is
 * refused as such without a key fetch for its `kid`. Fetching the keys failing (the issuer down,
 * a timeout) throws `IssuerUnavailableError` rather than calling the token bad.
 */
export function createTokenVerifier(issuer: TokenIssuer, keys: JWTVerifyGetKey): TokenVerifier {
  if (issuer.audience.length === 0) throw new Error('A token issuer needs at least one audience.');
  const tenantClaim = issuer.tenantClaim ?? 'custom:tenant';
  const audience = new Set(issuer.audience);
  return async (token) => {
    let claimed: JWTPayload;
    try {
      claimed = decodeJwt(token);
    } catch {
      return refuse('invalid_token', 'The bearer token is not a JWT.');
    }
    if (claimed.iss !== issuer.issuer) {
      return refuse('untrusted_issuer', 'The bearer token comes from an issuer this API does not trust.');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: issuer.issuer,
        algorithms,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      return verdictOf(error);
    }
    const tokenAudience = payload.aud ?? payload.client_id;
    const audiences = Array.isArray(tokenAudience) ? tokenAudience : [tokenAudience];
    if (!audiences.some((value) => typeof value === 'string' && audience.has(value))) {
      return refuse('invalid_token', 'The bearer token is for another client.');
    }
    // jose checks that `sub` is present, not that it is a name: API Gateway needs a string.
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      return refuse('invalid_token', 'The bearer token names no subject.');
    }
    const tenantId = payload[tenantClaim];
    if (typeof tenantId !== 'string' || tenantId === '') {
      return refuse('unknown_tenant', 'The bearer token names no tenant.');
    }
    return { valid: true, subject: payload.sub, tenantId };
  };
}

/** Failures that are the token's fault; anything else (a key fetch that failed) is not. */
const tokenFaults = [
  errors.JWSInvalid,
  errors.JWTInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
];

/** What a failed verification means for the caller. */
function verdictOf(error: unknown): TokenVerdict {
  if (error instanceof errors.JWTExpired) return refuse('token_expired', 'The bearer token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return refuse('invalid_token', 'The bearer token is not valid yet or lacks a required claim.');
  }
  if (tokenFaults.some((fault) => error instanceof fault)) {
    return refuse('invalid_token', 'The bearer token is not signed by the trusted issuer.');
  }
  throw new IssuerUnavailableError("The token issuer's signing keys could not be fetched.", { cause: error });
}
