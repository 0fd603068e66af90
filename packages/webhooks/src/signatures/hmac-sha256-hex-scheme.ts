/**
 * The seed's scheme (000 §5.1 `verify_webhook_signature` + `verify_timestamp_freshness`), for
 * partners that cannot send Standard Webhooks: `X-Signature` is the hex HMAC-SHA256 of the body
 * alone (optionally written `sha256=<hex>`), keyed with the secret's UTF-8 bytes, and a separate
 * `X-Timestamp` (epoch seconds) must be within the tolerance, past or future.
 *
 * NOTE — the timestamp is NOT signed. Anyone who captured one delivery can resend it with a
 * fresh `X-Timestamp` and it verifies, so the freshness check only limits accidental staleness
 * (a sender's queue replaying old deliveries, a wrong clock); it does not stop a replay. What
 * stops replays is the receiver's idempotency on the payload's event id (`source:event-id`),
 * which must therefore outlive every replay that matters. Prefer `standard-webhooks`, which
 * signs the id and the timestamp, for any partner that can send it.
 *
 * Unlike the seed, the raw body bytes are verified (not a decoded-then-re-encoded string), every
 * active secret is tried in constant time (the seed held one secret per source, so a rotation
 * rejected deliveries), and a missing or stale timestamp is refused even when the signature is good.
 */
import { randomBytes } from 'node:crypto';
import type { SignatureInput, SignatureScheme, SignatureVerdict } from '../signature-scheme.js';
import { anyEqualInConstantTime, hmacSha256, type SignedPart } from './constant-time.js';
import { lookupHeader } from './header-lookup.js';
import { checkTolerance, parseUnixSeconds } from './unix-timestamp.js';
import { refuse } from './verdicts.js';

const signaturePattern = /^(?:sha256=)?([0-9a-f]{64})$/i;
const minimumSecretLength = 32;

export interface HmacSha256HexSchemeOptions {
  /** The header carrying the hex signature (any case). @default 'x-signature' */
  readonly signatureHeader?: string;
  /** The header carrying the (unsigned) epoch-seconds timestamp (any case). @default 'x-timestamp' */
  readonly timestampHeader?: string;
}

/**
 * The `hmac-sha256-hex` signature scheme. `verify` never throws; it refuses with
 * `missing_signature`, `missing_timestamp`, `malformed_signature` (not 64 hex digits, or a
 * timestamp that is not epoch seconds), `bad_signature` (matches no active secret) or
 * `timestamp_out_of_tolerance`. An accepted verdict carries no `timestamp`, since none is signed.
 *
 * @example
 * const scheme = createHmacSha256HexScheme({ signatureHeader: 'x-catalog-signature', timestampHeader: 'x-catalog-timestamp' });
 */
export function createHmacSha256HexScheme(options: HmacSha256HexSchemeOptions = {}): SignatureScheme {
  const signatureHeader = (options.signatureHeader ?? 'x-signature').toLowerCase();
  const timestampHeader = (options.timestampHeader ?? 'x-timestamp').toLowerCase();
  return {
    name: 'hmac-sha256-hex',
    verify: (input) => verifyHmacSha256Hex(input, signatureHeader, timestampHeader),
    secretProblem: hmacSha256HexSecretProblem,
  };
}

/**
 * Describes what is wrong with an `hmac-sha256-hex` secret, or undefined when it is well
 * formed: at least 32 characters, no whitespace anywhere. Never quotes the secret.
 */
export function hmacSha256HexSecretProblem(secret: string): string | undefined {
  if (secret.trim() !== secret) return 'The HMAC secret has surrounding whitespace (a pasted newline?).';
  if (/\s/.test(secret)) return 'The HMAC secret contains whitespace.';
  if (secret.length < minimumSecretLength) {
    return `The HMAC secret is too short (fewer than ${minimumSecretLength} characters).`;
  }
  return undefined;
}

/** The `X-Signature` value for this body: 64 lowercase hex digits (no `sha256=` prefix). For tests and tooling. */
export function signHmacSha256Hex(body: SignedPart, secret: string): string {
  return hmacSha256(secret, [body]).toString('hex');
}

/** A new random `hmac-sha256-hex` secret: 32 random bytes as 64 hex digits. */
export function generateHmacSha256HexSecret(): string {
  return randomBytes(32).toString('hex');
}

function verifyHmacSha256Hex(
  input: SignatureInput,
  signatureHeader: string,
  timestampHeader: string,
): SignatureVerdict {
  const signature = lookupHeader(input.headers, signatureHeader);
  const timestamp = lookupHeader(input.headers, timestampHeader);
  if (signature.kind === 'missing')
    return refuse('missing_signature', `The ${signatureHeader} header is missing.`);
  if (signature.kind === 'ambiguous' || timestamp.kind === 'ambiguous') {
    return refuse('malformed_signature', 'A signature header is given twice with different values.');
  }
  if (timestamp.kind === 'missing')
    return refuse('missing_timestamp', `The ${timestampHeader} header is missing.`);

  const hex = signaturePattern.exec(signature.value.trim())?.[1];
  if (hex === undefined) {
    return refuse(
      'malformed_signature',
      `The ${signatureHeader} header is not 64 hex digits (optionally sha256=…).`,
    );
  }
  const timestampSeconds = parseUnixSeconds(timestamp.value);
  if (timestampSeconds === undefined) {
    return refuse('malformed_signature', `The ${timestampHeader} header is not epoch seconds.`);
  }
  if (input.secrets.length === 0) return refuse('bad_signature', 'No active signing secret is configured.');

  const expected = input.secrets.map((secret) => signHmacSha256Hex(input.body, secret));
  if (!anyEqualInConstantTime(expected, [hex.toLowerCase()])) {
    return refuse('bad_signature', 'The signature matches the body with no active secret.');
  }
  return checkTolerance(timestampSeconds, input.nowSeconds, input.toleranceSeconds) ?? { ok: true };
}
