import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  fixedNowSeconds,
  invalidUtf8Bytes,
  japaneseReviewJson,
  signatureInput,
  stripeEventJson,
  utf8,
  withChangedByte,
  withChangedCharacter,
} from '../testing/signature-fixtures.js';
import {
  createStripeScheme,
  generateStripeSecret,
  signStripe,
  stripeSecretProblem,
} from './stripe-scheme.js';

const stripe = new Stripe('sk_test_x');
const scheme = createStripeScheme();
const secret = 'whsec_test_primary_0123456789abcdef';
const rotatedSecret = 'whsec_test_rotated_fedcba9876543210';

/** A `Stripe-Signature` header made by the official `stripe` package. */
function stripeHeader(payload: string, signingSecret = secret, timestamp = fixedNowSeconds): string {
  return stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret, timestamp });
}

function verify(body: Uint8Array, header: string | undefined, secrets: readonly string[] = [secret]) {
  return scheme.verify(signatureInput({ body, headers: { 'stripe-signature': header }, secrets }));
}

describe('stripe signature scheme', () => {
  describe('agreement with the stripe package', () => {
    it('accepts a delivery signed by the stripe package', () => {
      const payload = stripeEventJson();
      expect(verify(utf8(payload), stripeHeader(payload))).toEqual({ ok: true, timestamp: fixedNowSeconds });
    });

    it('accepts a Japanese body signed by the stripe package', () => {
      const payload = stripeEventJson({ email: '読者@例え.jp' });
      expect(verify(utf8(payload), stripeHeader(payload)).ok).toBe(true);
    });

    it('produces headers that the stripe package accepts', () => {
      const payload = japaneseReviewJson();
      const header = signStripe(payload, secret, fixedNowSeconds);
      expect(() =>
        stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, fixedNowSeconds * 1000),
      ).not.toThrow();
      expect(header).toBe(stripeHeader(payload));
    });

    it('signs the same header for a string body and its UTF-8 bytes', () => {
      const payload = japaneseReviewJson();
      expect(signStripe(utf8(payload), secret, fixedNowSeconds)).toBe(
        signStripe(payload, secret, fixedNowSeconds),
      );
    });
  });

  describe('tampering', () => {
    it('rejects a body with one changed byte', () => {
      const payload = stripeEventJson();
      const verdict = verify(withChangedByte(utf8(payload), 20), stripeHeader(payload));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a changed timestamp even within the tolerance', () => {
      const payload = stripeEventJson();
      const header = stripeHeader(payload).replace(`t=${fixedNowSeconds}`, `t=${fixedNowSeconds - 1}`);
      expect(verify(utf8(payload), header)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a changed signature', () => {
      const payload = stripeEventJson();
      const header = stripeHeader(payload);
      const tampered = withChangedCharacter(header, header.length - 1);
      expect(verify(utf8(payload), tampered)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a body that was re-serialised as JSON with different whitespace', () => {
      const payload = stripeEventJson();
      const reserialised = JSON.stringify(JSON.parse(payload), null, 2);
      expect(verify(utf8(reserialised), stripeHeader(payload))).toMatchObject({
        ok: false,
        reason: 'bad_signature',
      });
    });

    it('rejects a signature made with an unknown secret', () => {
      const payload = stripeEventJson();
      const verdict = verify(utf8(payload), stripeHeader(payload, 'whsec_attacker_guess_00000000'));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects every delivery when no secret is active', () => {
      const payload = stripeEventJson();
      expect(verify(utf8(payload), stripeHeader(payload), [])).toMatchObject({
        ok: false,
        reason: 'bad_signature',
      });
    });
  });

  describe('raw bytes', () => {
    it('verifies a body that is not valid UTF-8 over its bytes', () => {
      const body = invalidUtf8Bytes();
      expect(verify(body, signStripe(body, secret, fixedNowSeconds)).ok).toBe(true);
    });

    it('tells apart two invalid UTF-8 bodies that decode to the same replacement characters', () => {
      const body = invalidUtf8Bytes();
      const lookalike = withChangedByte(body, body.indexOf(0xff));
      expect(new TextDecoder().decode(lookalike)).toBe(new TextDecoder().decode(body));
      const verdict = verify(lookalike, signStripe(body, secret, fixedNowSeconds));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('timestamps', () => {
    it.each([
      ['301 s in the past', -301],
      ['301 s in the future', 301],
    ])('refuses an authentic delivery signed %s', (_label, offset) => {
      const payload = stripeEventJson();
      const verdict = verify(utf8(payload), stripeHeader(payload, secret, fixedNowSeconds + offset));
      expect(verdict).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    });

    it.each([
      ['300 s in the past', -300],
      ['300 s in the future', 300],
    ])('accepts a delivery signed exactly %s', (_label, offset) => {
      const payload = stripeEventJson();
      expect(verify(utf8(payload), stripeHeader(payload, secret, fixedNowSeconds + offset)).ok).toBe(true);
    });

    it('says how far off a refused timestamp is', () => {
      const payload = stripeEventJson();
      const verdict = verify(utf8(payload), stripeHeader(payload, secret, fixedNowSeconds - 3600));
      expect(verdict).toMatchObject({ message: expect.stringContaining('3600 s in the past') });
    });

    it('reports a forged stale delivery as a bad signature, not as stale', () => {
      const payload = stripeEventJson();
      const verdict = verify(utf8(payload), stripeHeader(payload, 'whsec_attacker_guess_00000000', 1));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('secret rotation', () => {
    it('accepts a delivery signed with the second of two active secrets', () => {
      const payload = stripeEventJson();
      expect(verify(utf8(payload), stripeHeader(payload, rotatedSecret), [secret, rotatedSecret]).ok).toBe(
        true,
      );
    });

    it('accepts a header carrying one v1 per secret when only the new secret is active', () => {
      const payload = stripeEventJson();
      const oldSignature = signStripe(payload, secret, fixedNowSeconds).split('v1=')[1];
      const header = `${stripeHeader(payload, rotatedSecret)},v1=${oldSignature}`;
      expect(verify(utf8(payload), header, [rotatedSecret]).ok).toBe(true);
    });
  });

  describe('header parsing', () => {
    const payload = stripeEventJson();
    const signature = signStripe(payload, secret, fixedNowSeconds).split('v1=')[1] ?? '';

    it('refuses a delivery without the header as missing_signature', () => {
      expect(verify(utf8(payload), undefined)).toMatchObject({ ok: false, reason: 'missing_signature' });
      expect(verify(utf8(payload), '  ')).toMatchObject({ ok: false, reason: 'missing_signature' });
    });

    it('accepts spaces around the elements', () => {
      expect(verify(utf8(payload), ` t=${fixedNowSeconds} ,  v1=${signature} `).ok).toBe(true);
    });

    it('ignores v0 and unknown schemes', () => {
      const header = `t=${fixedNowSeconds},v0=${'0'.repeat(64)},v2=whatever,v1=${signature}`;
      expect(verify(utf8(payload), header).ok).toBe(true);
    });

    it('finds the header under a raw, mixed-case name', () => {
      const headers = { 'Stripe-Signature': stripeHeader(payload) };
      expect(scheme.verify(signatureInput({ body: utf8(payload), headers, secrets: [secret] })).ok).toBe(
        true,
      );
    });

    it('refuses two spellings of the header with different values', () => {
      const headers = {
        'Stripe-Signature': stripeHeader(payload),
        'stripe-signature': `t=1,v1=${signature}`,
      };
      const verdict = scheme.verify(signatureInput({ body: utf8(payload), headers, secrets: [secret] }));
      expect(verdict).toMatchObject({ ok: false, reason: 'malformed_signature' });
    });

    it('uses a configured header name', () => {
      const custom = createStripeScheme({ signatureHeader: 'X-Forwarded-Stripe-Signature' });
      const headers = { 'x-forwarded-stripe-signature': stripeHeader(payload) };
      expect(custom.verify(signatureInput({ body: utf8(payload), headers, secrets: [secret] })).ok).toBe(
        true,
      );
    });

    it.each([
      ['a repeated t', `t=${fixedNowSeconds},t=${fixedNowSeconds},v1=${signature}`],
      ['two joined headers', `${stripeHeader(payload)}, ${stripeHeader(payload)}`],
      ['no t', `v1=${signature}`],
      ['an upper-case T', `T=${fixedNowSeconds},v1=${signature}`],
      ['no v1', `t=${fixedNowSeconds}`],
      ['only an upper-case V1', `t=${fixedNowSeconds},V1=${signature}`],
      ['only v0', `t=${fixedNowSeconds},v0=${signature}`],
      ['a v1 in upper-case hex', `t=${fixedNowSeconds},v1=${signature.toUpperCase()}`],
      ['a short v1', `t=${fixedNowSeconds},v1=${signature.slice(2)}`],
      ['a non-numeric t', `t=17e8,v1=${signature}`],
      ['a negative t', `t=-${fixedNowSeconds},v1=${signature}`],
      ['t with trailing garbage', `t=${fixedNowSeconds}abc,v1=${signature}`],
      ['an element without =', `t=${fixedNowSeconds},${signature}`],
      ['garbage', 'not a signature'],
      ['a JSON object', '{"t":1,"v1":"x"}'],
    ])('refuses a header with %s as malformed_signature', (_label, header) => {
      expect(verify(utf8(payload), header)).toMatchObject({ ok: false, reason: 'malformed_signature' });
    });

    it('never throws for hostile header values', () => {
      const hostile = ['=', ',,,', 't=', 'v1=', '\u0000', 't=1,v1=\u{1F4DA}', 'x'.repeat(100_000), '=,=,='];
      for (const header of hostile) {
        expect(verify(utf8(payload), header).ok).toBe(false);
      }
    });
  });

  describe('secretProblem', () => {
    it('accepts secrets in Stripe format', () => {
      expect(stripeSecretProblem(secret)).toBeUndefined();
      expect(stripeSecretProblem(generateStripeSecret())).toBeUndefined();
    });

    it.each([
      ['a missing whsec_ prefix', 'sk_test_0123456789abcdef0123'],
      ['a trailing newline', `${secret}\n`],
      ['a leading space', ` ${secret}`],
      ['inner whitespace', 'whsec_0123456789 abcdef0123'],
      ['too few characters', 'whsec_short'],
      ['non-ASCII characters', 'whsec_０１２３４５６７８９abcdefgh'],
    ])('describes %s without quoting the secret', (_label, candidate) => {
      const problem = stripeSecretProblem(candidate);
      expect(problem).toEqual(expect.any(String));
      expect(problem).not.toContain(candidate.trim());
    });
  });
});
