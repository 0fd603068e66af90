/** Why a delivery's signature was refused. */
export type SignatureFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'missing_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'bad_signature';

export type SignatureVerdict =
  | {
      readonly ok: true;
      /** The signed timestamp (epoch seconds), when the scheme signs one. */
      readonly timestamp?: number;
      /** The delivery id the scheme carries in a header (Standard Webhooks' `webhook-id`). */
      readonly deliveryId?: string;
    }
  | { readonly ok: false; readonly reason: SignatureFailure; readonly message: string };

export interface SignatureInput {
  /** The body exactly as received (function URL events may be base64: decode before). */
  readonly body: Uint8Array;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Every active secret of the source: any one of them may have signed (rotation). */
  readonly secrets: readonly string[];
  /** Now, epoch seconds. */
  readonly nowSeconds: number;
  /** Accepted clock difference, past or future, in seconds. */
  readonly toleranceSeconds: number;
}

/**
 * A webhook signature scheme: verifies a delivery over its raw body bytes with constant-time
 * comparison. Never throws for bad input: every refusal is a verdict with a reason.
 */
export interface SignatureScheme {
  readonly name: 'stripe' | 'standard-webhooks' | 'hmac-sha256-hex';
  verify(input: SignatureInput): SignatureVerdict;
  /**
   * Checks one secret's format at load (`whsec_` + base64 for Standard Webhooks and Stripe);
   * returns a problem description, or undefined when it is well formed.
   */
  secretProblem(secret: string): string | undefined;
}
