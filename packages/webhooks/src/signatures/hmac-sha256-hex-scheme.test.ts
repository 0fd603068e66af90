import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fixedNowSeconds,
  invalidUtf8Bytes,
  japaneseReviewJson,
  signatureInput,
  utf8,
  withChangedByte,
  withChangedCharacter,
} from '../testing/signature-fixtures.js';
import {
  createHmacSha256HexScheme,
  generateHmacSha256HexSecret,
  hmacSha256HexSecretProblem,
  signHmacSha256Hex,
} from './hmac-sha256-hex-scheme.js';

const scheme = createHmacSha256HexScheme();
const secret = 'catalog-partner-secret-0123456789abcdef';
const rotatedSecret = 'catalog-partner-secret-rotated-fedcba9876543210';

/** What the seed's sender computes: `hmac.new(secret.encode(), body, sha256).hexdigest()`. */
function referenceSignature(body: Uint8Array, signingSecret = secret): string {
  return createHmac('sha256', Buffer.from(signingSecret, 'utf8')).update(body).digest('hex');
}

function verify(
  body: Uint8Array,
  headers: { readonly signature?: string | undefined; readonly timestamp?: string | undefined },
  secrets: readonly string[] = [secret],
) {
  return scheme.verify(
    signatureInput({
      body,
      headers: { 'x-signature': headers.signature, 'x-timestamp': headers.timestamp },
      secrets,
    }),
  );
}

function delivery(body: Uint8Array, timestamp = fixedNowSeconds) {
  return { signature: referenceSignature(body), timestamp: String(timestamp) };
}

describe('hmac-sha256-hex signature scheme', () => {
  const body = utf8(japaneseReviewJson());

  it('accepts a Japanese body signed as the seed signs it', () => {
    expect(verify(body, delivery(body))).toEqual({ ok: true });
  });

  it('signs exactly what the reference computes', () => {
    expect(signHmacSha256Hex(body, secret)).toBe(referenceSignature(body));
    expect(signHmacSha256Hex(japaneseReviewJson(), secret)).toBe(referenceSignature(body));
  });

  it('accepts a sha256= prefix and upper-case hex', () => {
    const signature = referenceSignature(body);
    expect(verify(body, { ...delivery(body), signature: `sha256=${signature}` }).ok).toBe(true);
    expect(verify(body, { ...delivery(body), signature: `SHA256=${signature.toUpperCase()}` }).ok).toBe(true);
  });

  it('verifies a body that is not valid UTF-8 over its bytes', () => {
    const binary = invalidUtf8Bytes();
    expect(verify(binary, delivery(binary)).ok).toBe(true);
    expect(verify(withChangedByte(binary, binary.indexOf(0xff)), delivery(binary))).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('rejects a body with one changed byte', () => {
    expect(verify(withChangedByte(body, 10), delivery(body))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a changed signature', () => {
    const signature = withChangedCharacter(referenceSignature(body), 0);
    expect(verify(body, { ...delivery(body), signature })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a body that was re-serialised as JSON with different whitespace', () => {
    const reserialised = utf8(JSON.stringify(JSON.parse(japaneseReviewJson()), null, 2));
    expect(verify(reserialised, delivery(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature made with an unknown secret', () => {
    const signature = referenceSignature(body, 'an-attacker-guess-that-is-long-enough');
    expect(verify(body, { ...delivery(body), signature })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('accepts a delivery signed with the second of two active secrets', () => {
    const signature = referenceSignature(body, rotatedSecret);
    expect(verify(body, { ...delivery(body), signature }, [secret, rotatedSecret]).ok).toBe(true);
  });

  it('accepts a resent delivery with a fresh timestamp, because the timestamp is not signed', () => {
    const captured = delivery(body, fixedNowSeconds - 3600);
    expect(verify(body, { ...captured, timestamp: String(fixedNowSeconds) }).ok).toBe(true);
  });

  it.each([
    ['301 s in the past', -301],
    ['301 s in the future', 301],
  ])('refuses a timestamp %s', (_label, offset) => {
    expect(verify(body, delivery(body, fixedNowSeconds + offset))).toMatchObject({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    });
  });

  it('accepts a timestamp exactly 300 s away', () => {
    expect(verify(body, delivery(body, fixedNowSeconds - 300)).ok).toBe(true);
    expect(verify(body, delivery(body, fixedNowSeconds + 300)).ok).toBe(true);
  });

  it('refuses a delivery without X-Signature as missing_signature', () => {
    expect(verify(body, { ...delivery(body), signature: undefined })).toMatchObject({
      reason: 'missing_signature',
    });
  });

  it('refuses a delivery without X-Timestamp as missing_timestamp', () => {
    expect(verify(body, { ...delivery(body), timestamp: undefined })).toMatchObject({
      reason: 'missing_timestamp',
    });
  });

  it.each([
    ['a short signature', { signature: referenceSignature(body).slice(1) }],
    ['a base64 signature', { signature: Buffer.from(referenceSignature(body), 'hex').toString('base64') }],
    ['a sha1= prefix', { signature: `sha1=${referenceSignature(body)}` }],
    [
      'two joined signature headers',
      { signature: `${referenceSignature(body)}, ${referenceSignature(body)}` },
    ],
    ['a fractional timestamp', { timestamp: `${fixedNowSeconds}.5` }],
    ['a non-numeric timestamp', { timestamp: 'yesterday' }],
  ])('refuses %s as malformed_signature', (_label, change) => {
    expect(verify(body, { ...delivery(body), ...change })).toMatchObject({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('uses configured header names, in any case', () => {
    const custom = createHmacSha256HexScheme({
      signatureHeader: 'X-Catalog-Signature',
      timestampHeader: 'X-Catalog-Timestamp',
    });
    const headers = {
      'x-catalog-signature': referenceSignature(body),
      'x-catalog-timestamp': String(fixedNowSeconds),
    };
    expect(custom.verify(signatureInput({ body, headers, secrets: [secret] })).ok).toBe(true);
  });

  describe('secretProblem', () => {
    it('accepts a secret of at least 32 characters without whitespace', () => {
      expect(hmacSha256HexSecretProblem(secret)).toBeUndefined();
      expect(hmacSha256HexSecretProblem(generateHmacSha256HexSecret())).toBeUndefined();
    });

    it.each([
      ['fewer than 32 characters', 'short-secret'],
      ['a trailing newline', `${secret}\n`],
      ['inner whitespace', 'catalog partner secret 0123456789abcdef'],
    ])('describes %s without quoting the secret', (_label, candidate) => {
      const problem = hmacSha256HexSecretProblem(candidate);
      expect(problem).toEqual(expect.any(String));
      expect(problem).not.toContain(candidate.trim());
    });
  });
});
