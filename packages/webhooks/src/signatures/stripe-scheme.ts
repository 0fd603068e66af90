/**
 * Stripe's webhook signature (https://docs.stripe.com/webhooks/signature), verified the way
 * `stripe` v23 does it (`Webhooks.js`, `NodeCryptoProvider.js`):
 *
 * - header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`;
 * - signed payload `"{t}.{body}"`, HMAC-SHA256, lowercase hex;
 * - key: the endpoint secret used as-is, `whsec_` prefix included, as UTF-8 bytes (it is not
 *   base64-decoded, unlike Standard Webhooks);
 * - any `v1` may match (Stripe sends one per active secret while one is being rolled);
 *   other schemes (`v0`, test-mode legacy) are ignored.
 *
 * Deliberate differences from the library, all stricter: the body is verified as the bytes
 * received (the library decodes it to a string first, so two invalid-UTF-8 bodies that decode to
 * the same replacement characters would both pass); a missing, repeated or non-numeric `t`, an
 * element without `=`, or a `v1` that is not 64 lowercase hex digits is `malformed_signature`
 * (the library keeps the last `t` and `parseInt`s it); and the timestamp is refused when too far
 * in the future as well as in the past (the library checks only the past).
 */
import { randomBytes } from 'node:crypto';
import type { SignatureInput, SignatureScheme, SignatureVerdict } from '../signature-scheme.js';
import { anyEqualInConstantTime, hmacSha256, type SignedPart } from './constant-time.js';
import { lookupHeader } from './header-lookup.js';
import { checkTolerance, parseUnixSeconds } from './unix-timestamp.js';
import { refuse } from './verdicts.js';

/** `whsec_`: the prefix of every Stripe endpoint secret. */
export const stripeSecretPrefix = 'whsec_';

const v1SignaturePattern = /^[0-9a-f]{64}$/;
const printableAscii = /^[\x21-\x7e]*$/;
const minimumSecretSuffixLength = 16;

export interface StripeSchemeOptions {
  /** The header carrying `t=…,v1=…` (any case). @default 'stripe-signature' */
  readonly signatureHeader?: string;
}

/**
 * The `stripe` signature scheme. `verify` never throws; it refuses with `missing_signature`
 * (no header), `malformed_signature` (unparseable header), `bad_signature` (no `v1` matches any
 * active secret) or `timestamp_out_of_tolerance` (authentic, but `t` is outside the tolerance,
 * past or future). The signature is checked before the timestamp, so an out-of-tolerance verdict
 * always concerns an authentic delivery (a replay or clock skew, not a forgery).
 *
 * @example
 * const verdict = createStripeScheme().verify({ body, headers, secrets, nowSeconds, toleranceSeconds: 300 });
 */
export function createStripeScheme(options: StripeSchemeOptions = {}): SignatureScheme {
  const signatureHeader = (options.signatureHeader ?? 'stripe-signature').toLowerCase();
  return {
    name: 'stripe',
    verify: (input) => verifyStripe(input, signatureHeader),
    secretProblem: stripeSecretProblem,
  };
}

/**
 * Describes what is wrong with a Stripe endpoint secret, or undefined when it is well formed:
 * it must start with `whsec_`, be printable ASCII with no whitespace anywhere (a pasted newline
 * is the usual mistake) and carry at least 16 characters after the prefix. Never quotes the secret.
 */
export function stripeSecretProblem(secret: string): string | undefined {
  if (secret.trim() !== secret) return 'The Stripe secret has surrounding whitespace (a pasted newline?).';
  if (!printableAscii.test(secret)) return 'The Stripe secret contains whitespace or non-ASCII characters.';
  if (!secret.startsWith(stripeSecretPrefix))
    return `The Stripe secret does not start with "${stripeSecretPrefix}".`;
  if (secret.length - stripeSecretPrefix.length < minimumSecretSuffixLength) {
    return `The Stripe secret is too short (fewer than ${minimumSecretSuffixLength} characters after "${stripeSecretPrefix}").`;
  }
  return undefined;
}

/**
 * The `Stripe-Signature` value Stripe would send for this body: `t=<timestamp>,v1=<hex>`. For
 * tests and local tooling; `timestampSeconds` is floored like Stripe's `generateTestHeaderString`.
 */
export function signStripe(body: SignedPart, secret: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${stripeSignatureHex(secret, t, body)}`;
}

/** A new random Stripe-format endpoint secret (`whsec_` and 64 hex digits, like the Stripe CLI's). */
export function generateStripeSecret(): string {
  return stripeSecretPrefix + randomBytes(32).toString('hex');
}

function stripeSignatureHex(secret: string, timestampSeconds: number, body: SignedPart): string {
  return hmacSha256(secret, [`${timestampSeconds}.`, body]).toString('hex');
}

interface StripeHeader {
  readonly timestampSeconds: number;
  readonly signatures: readonly string[];
}

function verifyStripe(input: SignatureInput, signatureHeader: string): SignatureVerdict {
  const header = lookupHeader(input.headers, signatureHeader);
  if (header.kind === 'missing')
    return refuse('missing_signature', `The ${signatureHeader} header is missing.`);
  if (header.kind === 'ambiguous') {
    return refuse(
      'malformed_signature',
      `The ${signatureHeader} header is given twice with different values.`,
    );
  }
  const parsed = parseStripeHeader(header.value);
  if (typeof parsed === 'string') return refuse('malformed_signature', parsed);
  if (input.secrets.length === 0) return refuse('bad_signature', 'No active signing secret is configured.');

  const expected = input.secrets.map((secret) =>
    stripeSignatureHex(secret, parsed.timestampSeconds, input.body),
  );
  if (!anyEqualInConstantTime(expected, parsed.signatures)) {
    return refuse('bad_signature', 'No v1 signature matches the body with any active secret.');
  }
  return (
    checkTolerance(parsed.timestampSeconds, input.nowSeconds, input.toleranceSeconds) ?? {
      ok: true,
      timestamp: parsed.timestampSeconds,
    }
  );
}

/** The header's timestamp and `v1` signatures, or why it cannot be read. */
function parseStripeHeader(value: string): StripeHeader | string {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const rawElement of value.split(',')) {
    const element = rawElement.trim();
    if (element === '') continue;
    const separator = element.indexOf('=');
    if (separator <= 0) return 'The Stripe-Signature header has an element that is not key=value.';
    const key = element.slice(0, separator).trim();
    const elementValue = element.slice(separator + 1).trim();
    if (key === 't') timestamps.push(elementValue);
    else if (key === 'v1') {
      if (!v1SignaturePattern.test(elementValue)) {
        return 'A v1 signature in the Stripe-Signature header is not 64 lowercase hex digits.';
      }
      signatures.push(elementValue);
    }
    // Other keys (v0, future schemes) are ignored, as Stripe's library does.
  }
  const [timestamp, ...repeated] = timestamps;
  if (timestamp === undefined) return 'The Stripe-Signature header has no t= timestamp.';
  if (repeated.length > 0) return 'The Stripe-Signature header has more than one t= timestamp.';
  const timestampSeconds = parseUnixSeconds(timestamp);
  if (timestampSeconds === undefined)
    return 'The t= timestamp of the Stripe-Signature header is not epoch seconds.';
  if (signatures.length === 0) return 'The Stripe-Signature header has no v1 signature.';
  return { timestampSeconds, signatures };
}
