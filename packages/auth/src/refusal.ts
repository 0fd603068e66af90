/** Why a caller is turned away (401): the `code` of the JSON error body. */
export type RefusalCode =
  | 'missing_credentials'
  | 'invalid_api_key'
  | 'invalid_token'
  | 'token_expired'
  | 'untrusted_issuer'
  | 'unknown_tenant'
  | 'user_token_required'
  | 'tenant_mismatch';

/**
 * A refusal and its reason. Reasons are fixed sentences, never request data: API Gateway
 * substitutes them into a JSON template unescaped, so they hold no `"` or `\`.
 */
export interface Refusal {
  readonly code: RefusalCode;
  readonly reason: string;
}
