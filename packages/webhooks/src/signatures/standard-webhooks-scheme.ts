/**
 * Standard Webhooks' symmetric signature (https://www.standardwebhooks.com, spec v1), verified
 * the way the `standardwebhooks` v1.1 package does it (`dist/index.js`):
 *
 * - headers `webhook-id`, `webhook-timestamp` (epoch seconds) and `webhook-signature`, a
 *   space-separated list of `<version>,<base64>` entries; only `v1` (HMAC-SHA256) is read,
 *   other versions (`v1a`, asymmetric) are ignored; any `v1` may match (rotation);
 * - signed content `"{id}.{timestamp}.{body}"`, signature in standard base64 with padding;
 * - key: the base64-decoded bytes after the `whsec_` prefix (not the secret's text).
 *
 * Deliberate differences from the library, all stricter: the body is verified as the bytes
 * received (the library turns a Buffer into a string first, which replaces invalid UTF-8); a
 * timestamp that is not plain digits, an id that is not 1–256 printable ASCII characters, a
 * list entry without a comma, or a `v1` that is not 32 bytes of base64 is `malformed_signature`;
 * and at load a secret must carry the `whsec_` prefix and decode to 24–64 bytes (the spec's
 * range; the library only refuses an empty key).
 */
import { randomBytes } from 'node:crypto';
import type { SignatureInput, SignatureScheme, SignatureVerdict } from '../signature-scheme.js';
import { anyEqualInConstantTime, hmacSha256, type SignedPart } from './constant-time.js';
import { lookupHeader } from './header-lookup.js';
import { checkTolerance, parseUnixSeconds } from './unix-timestamp.js';
import { refuse } from './verdicts.js';

/** `whsec_`: the prefix of a Standard Webhooks symmetric secret. */
export const standardWebhooksSecretPrefix = 'whsec_';

/** The spec's key size range: "between 24 bytes (192 bits) and 64 bytes (512 bits)". */
const minimumKeyBytes = 24;
const maximumKeyBytes = 64;
const canonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** 32 bytes of HMAC-SHA256 in padded base64. */
const v1SignaturePattern = /^[A-Za-z0-9+/]{43}=$/;
const deliveryIdPattern = /^[\x21-\x7e]{1,256}$/;

export interface StandardWebhooksSchemeOptions {
  /** @default 'webhook-id' */
  readonly idHeader?: string;
  /** @default 'webhook-timestamp' */
  readonly timestampHeader?: string;
  /** @default 'webhook-signature' */
  readonly signatureHeader?: string;
}

interface HeaderNames {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
}

/**
 * The `standard-webhooks` signature scheme; an accepted verdict carries `deliveryId` (the
 * `webhook-id`, the idempotency key) and the signed `timestamp`. `verify` never throws; it
 * refuses with `missing_signature` (no `webhook-signature`), `missing_timestamp`,
 * `malformed_signature` (missing id, unparseable headers), `bad_signature` (no `v1` matches any
 * active secret) or `timestamp_out_of_tolerance` (authentic but outside the tolerance, past or
 * future: the signature is checked first, so that verdict never concerns a forgery).
 *
 * @example
 * const verdict = createStandardWebhooksScheme().verify({ body, headers, secrets, nowSeconds, toleranceSeconds: 300 });
 * if (verdict.ok) claim(`reviews:${verdict.deliveryId}`);
 */
export function createStandardWebhooksScheme(options: StandardWebhooksSchemeOptions = {}): SignatureScheme {
  const names: HeaderNames = {
    id: (options.idHeader ?? 'webhook-id').toLowerCase(),
    timestamp: (options.timestampHeader ?? 'webhook-timestamp').toLowerCase(),
    signature: (options.signatureHeader ?? 'webhook-signature').toLowerCase(),
  };
  return {
    name: 'standard-webhooks',
    verify: (input) => verifyStandardWebhooks(input, names),
    secretProblem: standardWebhooksSecretProblem,
  };
}

/**
 * Describes what is wrong with a Standard Webhooks secret, or undefined when it is well formed:
 * `whsec_` followed by canonical padded base64 of 24–64 bytes, no whitespace anywhere. Never
 * quotes the secret.
 */
export function standardWebhooksSecretProblem(secret: string): string | undefined {
  if (secret.trim() !== secret)
    return 'The Standard Webhooks secret has surrounding whitespace (a pasted newline?).';
  if (/\s/.test(secret)) return 'The Standard Webhooks secret contains whitespace.';
  if (!secret.startsWith(standardWebhooksSecretPrefix)) {
    return `The Standard Webhooks secret does not start with "${standardWebhooksSecretPrefix}".`;
  }
  const key = decodeStandardWebhooksKey(secret);
  if (key === undefined) {
    return `The Standard Webhooks secret is not valid base64 after "${standardWebhooksSecretPrefix}".`;
  }
  if (key.length < minimumKeyBytes || key.length > maximumKeyBytes) {
    return `The Standard Webhooks secret decodes to ${key.length} bytes; ${minimumKeyBytes}–${maximumKeyBytes} are required.`;
  }
  return undefined;
}

/**
 * The `webhook-signature` value a Standard Webhooks sender would send: `v1,<base64>`. For tests
 * and local tooling. Throws `TypeError` when the secret is not `whsec_` + base64.
 */
export function signStandardWebhooks(
  body: SignedPart,
  secret: string,
  deliveryId: string,
  timestampSeconds: number,
): string {
  const key = decodeStandardWebhooksKey(secret);
  if (key === undefined) throw new TypeError('The Standard Webhooks secret is not whsec_ + base64.');
  return `v1,${standardSignatureBase64(key, deliveryId, Math.floor(timestampSeconds), body)}`;
}

/** A new random Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function generateStandardWebhooksSecret(): string {
  return standardWebhooksSecretPrefix + randomBytes(32).toString('base64');
}

/** The HMAC key of a `whsec_` secret, or undefined when it is not `whsec_` + non-empty canonical base64. */
function decodeStandardWebhooksKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(standardWebhooksSecretPrefix)) return undefined;
  const encoded = secret.slice(standardWebhooksSecretPrefix.length);
  if (encoded === '' || !canonicalBase64.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64');
}

function standardSignatureBase64(
  key: Uint8Array,
  deliveryId: string,
  timestampSeconds: number,
  body: SignedPart,
): string {
  return hmacSha256(key, [`${deliveryId}.${timestampSeconds}.`, body]).toString('base64');
}

function verifyStandardWebhooks(input: SignatureInput, names: HeaderNames): SignatureVerdict {
  const signatureHeader = lookupHeader(input.headers, names.signature);
  const idHeader = lookupHeader(input.headers, names.id);
  const timestampHeader = lookupHeader(input.headers, names.timestamp);
  if (signatureHeader.kind === 'missing') {
    return refuse('missing_signature', `The ${names.signature} header is missing.`);
  }
  if (
    signatureHeader.kind === 'ambiguous' ||
    idHeader.kind === 'ambiguous' ||
    timestampHeader.kind === 'ambiguous'
  ) {
    return refuse('malformed_signature', 'A webhook signature header is given twice with different values.');
  }
  if (idHeader.kind === 'missing') return refuse('malformed_signature', `The ${names.id} header is missing.`);
  if (timestampHeader.kind === 'missing') {
    return refuse('missing_timestamp', `The ${names.timestamp} header is missing.`);
  }

  const deliveryId = idHeader.value.trim();
  if (!deliveryIdPattern.test(deliveryId)) {
    return refuse('malformed_signature', `The ${names.id} header is not 1–256 printable ASCII characters.`);
  }
  const timestampSeconds = parseUnixSeconds(timestampHeader.value);
  if (timestampSeconds === undefined) {
    return refuse('malformed_signature', `The ${names.timestamp} header is not epoch seconds.`);
  }
  const signatures = parseSignatureList(signatureHeader.value);
  if (typeof signatures === 'string') return refuse('malformed_signature', signatures);

  const keys = input.secrets.flatMap((secret) => decodeStandardWebhooksKey(secret) ?? []);
  if (keys.length === 0) return refuse('bad_signature', 'No usable signing secret is configured.');
  const expected = keys.map((key) => standardSignatureBase64(key, deliveryId, timestampSeconds, input.body));
  if (!anyEqualInConstantTime(expected, signatures)) {
    return refuse(
      'bad_signature',
      'No v1 signature matches the id, timestamp and body with any active secret.',
    );
  }
  return (
    checkTolerance(timestampSeconds, input.nowSeconds, input.toleranceSeconds) ?? {
      ok: true,
      timestamp: timestampSeconds,
      deliveryId,
    }
  );
}

/** The `v1` signatures of a `webhook-signature` list, or why it cannot be read. */
function parseSignatureList(value: string): readonly string[] | string {
  const signatures: string[] = [];
  for (const entry of value.split(/\s+/)) {
    if (entry === '') continue;
    const separator = entry.indexOf(',');
    if (separator <= 0) return 'A webhook-signature entry is not <version>,<signature>.';
    if (entry.slice(0, separator) !== 'v1') continue;
    const signature = entry.slice(separator + 1);
    if (!v1SignaturePattern.test(signature)) return 'A v1 webhook signature is not 32 bytes of base64.';
    signatures.push(signature);
  }
  if (signatures.length === 0) return 'The webhook-signature header has no v1 signature.';
  return signatures;
}
