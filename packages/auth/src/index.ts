// The public surface of @mangaassist/auth.

export {
  type Admission,
  type CallerAuthorizer,
  type CallerAuthorizerOptions,
  type CallerDecision,
  type Credentials,
  createCallerAuthorizer,
  principalOf,
} from './callers.js';
export type { Refusal, RefusalCode } from './refusal.js';
export {
  createTokenVerifier,
  IssuerUnavailableError,
  type TokenIssuer,
  type TokenVerdict,
  type TokenVerifier,
  type VerifiedUser,
} from './token-verifier.js';
