import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
  createStandardWebhooksScheme,
  generateStandardWebhooksSecret,
  signStandardWebhooks,
  standardWebhooksSecretProblem,
} from './standard-webhooks-scheme.js';

const scheme = createStandardWebhooksScheme();
/** The Standard Webhooks spec's example secret (24 bytes). */
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const rotatedSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const deliveryId = 'msg_2Lh3yZ9pVhDk1wq';

interface Delivery {
  readonly id?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly signature?: string | undefined;
}

/** A `webhook-signature` value made by the official `standardwebhooks` package. */
function referenceSignature(
  payload: string,
  signingSecret = secret,
  timestamp = fixedNowSeconds,
  id = deliveryId,
) {
  return new Webhook(signingSecret).sign(id, new Date(timestamp * 1000), payload);
}

function referenceDelivery(payload: string, timestamp = fixedNowSeconds, signingSecret = secret): Delivery {
  return {
    id: deliveryId,
    timestamp: String(timestamp),
    signature: referenceSignature(payload, signingSecret, timestamp),
  };
}

function verify(body: Uint8Array, delivery: Delivery, secrets: readonly string[] = [secret]) {
  const headers = {
    'webhook-id': delivery.id,
    'webhook-timestamp': delivery.timestamp,
    'webhook-signature': delivery.signature,
  };
  return scheme.verify(signatureInput({ body, headers, secrets }));
}

describe('standard-webhooks signature scheme', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('agreement with the standardwebhooks package', () => {
    it('accepts a delivery signed by the standardwebhooks package and carries its id and timestamp', () => {
      const payload = japaneseReviewJson();
      expect(verify(utf8(payload), referenceDelivery(payload))).toEqual({
        ok: true,
        timestamp: fixedNowSeconds,
        deliveryId,
      });
    });

    it('signs exactly what the standardwebhooks package signs', () => {
      const payload = japaneseReviewJson();
      expect(signStandardWebhooks(payload, secret, deliveryId, fixedNowSeconds)).toBe(
        referenceSignature(payload),
      );
    });

    it('produces headers that the standardwebhooks package accepts', () => {
      vi.useFakeTimers({ now: fixedNowSeconds * 1000, toFake: ['Date'] });
      const payload = japaneseReviewJson();
      const headers = {
        'webhook-id': deliveryId,
        'webhook-timestamp': String(fixedNowSeconds),
        'webhook-signature': signStandardWebhooks(utf8(payload), secret, deliveryId, fixedNowSeconds),
      };
      expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload));
    });
  });

  describe('tampering', () => {
    const payload = japaneseReviewJson();

    it('rejects a body with one changed byte', () => {
      const verdict = verify(withChangedByte(utf8(payload), 30), referenceDelivery(payload));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a changed timestamp even within the tolerance', () => {
      const delivery = { ...referenceDelivery(payload), timestamp: String(fixedNowSeconds - 1) };
      expect(verify(utf8(payload), delivery)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a changed webhook-id', () => {
      const delivery = { ...referenceDelivery(payload), id: `${deliveryId}x` };
      expect(verify(utf8(payload), delivery)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a changed signature', () => {
      const delivery = referenceDelivery(payload);
      const signature = withChangedCharacter(delivery.signature ?? '', 5);
      expect(verify(utf8(payload), { ...delivery, signature })).toMatchObject({
        ok: false,
        reason: 'bad_signature',
      });
    });

    it('rejects a body that was re-serialised as JSON with different whitespace', () => {
      const reserialised = JSON.stringify(JSON.parse(payload), null, 1);
      const verdict = verify(utf8(reserialised), referenceDelivery(payload));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects a signature made with an unknown secret', () => {
      const attacker = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
      const verdict = verify(utf8(payload), referenceDelivery(payload, fixedNowSeconds, attacker));
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('rejects every delivery when no secret is usable', () => {
      const verdict = verify(utf8(payload), referenceDelivery(payload), ['whsec_!!not-base64!!']);
      expect(verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('raw bytes', () => {
    it('verifies a body that is not valid UTF-8 over its bytes', () => {
      const body = invalidUtf8Bytes();
      const delivery = {
        id: deliveryId,
        timestamp: String(fixedNowSeconds),
        signature: signStandardWebhooks(body, secret, deliveryId, fixedNowSeconds),
      };
      expect(verify(body, delivery).ok).toBe(true);
    });

    it('tells apart two invalid UTF-8 bodies that decode to the same replacement characters', () => {
      const body = invalidUtf8Bytes();
      const lookalike = withChangedByte(body, body.indexOf(0xff));
      const delivery = {
        id: deliveryId,
        timestamp: String(fixedNowSeconds),
        signature: signStandardWebhooks(body, secret, deliveryId, fixedNowSeconds),
      };
      expect(verify(lookalike, delivery)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });
  });

  describe('timestamps', () => {
    const payload = japaneseReviewJson();

    it.each([
      ['301 s in the past', -301],
      ['301 s in the future', 301],
    ])('refuses an authentic delivery signed %s', (_label, offset) => {
      const verdict = verify(utf8(payload), referenceDelivery(payload, fixedNowSeconds + offset));
      expect(verdict).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    });

    it.each([
      ['300 s in the past', -300],
      ['300 s in the future', 300],
    ])('accepts a delivery signed exactly %s', (_label, offset) => {
      expect(verify(utf8(payload), referenceDelivery(payload, fixedNowSeconds + offset)).ok).toBe(true);
    });

    it('refuses a delivery without webhook-timestamp as missing_timestamp', () => {
      const delivery = { ...referenceDelivery(payload), timestamp: undefined };
      expect(verify(utf8(payload), delivery)).toMatchObject({ ok: false, reason: 'missing_timestamp' });
    });
  });

  describe('secret rotation', () => {
    const payload = japaneseReviewJson();

    it('accepts a delivery signed with the second of two active secrets', () => {
      const delivery = referenceDelivery(payload, fixedNowSeconds, rotatedSecret);
      expect(verify(utf8(payload), delivery, [secret, rotatedSecret]).ok).toBe(true);
    });

    it('accepts a signature list carrying one v1 per secret when only the new secret is active', () => {
      const delivery = referenceDelivery(payload);
      const both = `${delivery.signature} ${referenceSignature(payload, rotatedSecret)}`;
      expect(verify(utf8(payload), { ...delivery, signature: both }, [rotatedSecret]).ok).toBe(true);
    });
  });

  describe('header parsing', () => {
    const payload = japaneseReviewJson();
    const signature = referenceSignature(payload);
    const base64 = signature.slice('v1,'.length);
    const delivery = referenceDelivery(payload);

    it('refuses a delivery without webhook-signature as missing_signature', () => {
      expect(verify(utf8(payload), { ...delivery, signature: undefined })).toMatchObject({
        ok: false,
        reason: 'missing_signature',
      });
    });

    it('refuses a delivery without webhook-id as malformed_signature', () => {
      expect(verify(utf8(payload), { ...delivery, id: undefined })).toMatchObject({
        ok: false,
        reason: 'malformed_signature',
      });
    });

    it('accepts extra spaces between signatures and ignores other versions', () => {
      const list = `  v1a,${'A'.repeat(86)}==   v2,whatever ${signature}  `;
      expect(verify(utf8(payload), { ...delivery, signature: list }).ok).toBe(true);
    });

    it('finds the headers under raw, mixed-case names', () => {
      const headers = {
        'Webhook-Id': delivery.id,
        'WEBHOOK-TIMESTAMP': delivery.timestamp,
        'Webhook-Signature': delivery.signature,
      };
      expect(scheme.verify(signatureInput({ body: utf8(payload), headers, secrets: [secret] })).ok).toBe(
        true,
      );
    });

    it('refuses two spellings of webhook-id with different values', () => {
      const headers = {
        'webhook-id': delivery.id,
        'Webhook-Id': 'msg_other',
        'webhook-timestamp': delivery.timestamp,
        'webhook-signature': delivery.signature,
      };
      const verdict = scheme.verify(signatureInput({ body: utf8(payload), headers, secrets: [secret] }));
      expect(verdict).toMatchObject({ ok: false, reason: 'malformed_signature' });
    });

    it('uses configured header names', () => {
      const custom = createStandardWebhooksScheme({
        idHeader: 'svix-id',
        timestampHeader: 'svix-timestamp',
        signatureHeader: 'svix-signature',
      });
      const headers = {
        'svix-id': delivery.id,
        'svix-timestamp': delivery.timestamp,
        'svix-signature': delivery.signature,
      };
      expect(custom.verify(signatureInput({ body: utf8(payload), headers, secrets: [secret] })).ok).toBe(
        true,
      );
    });

    it.each([
      ['only an upper-case V1', { signature: `V1,${base64}` }],
      ['only other versions', { signature: `v1a,${base64}` }],
      ['an entry without a comma', { signature: `${signature} v1` }],
      ['a v1 that is not base64', { signature: 'v1,not-base64!' }],
      ['a truncated v1', { signature: `v1,${base64.slice(4)}` }],
      ['two joined signature headers', { signature: `${signature}, ${signature}` }],
      ['a non-numeric timestamp', { timestamp: '17e8' }],
      ['a negative timestamp', { timestamp: `-${fixedNowSeconds}` }],
      ['a timestamp in ISO 8601', { timestamp: '2025-06-15T15:06:40Z' }],
      ['an id with a space', { id: 'msg 1' }],
      ['an id longer than 256 characters', { id: 'm'.repeat(257) }],
    ])('refuses %s as malformed_signature', (_label, change) => {
      const verdict = verify(utf8(payload), { ...delivery, ...change });
      expect(verdict).toMatchObject({ ok: false, reason: 'malformed_signature' });
    });

    it('never throws for hostile header values', () => {
      const hostile = [
        ',',
        ' , ',
        'v1,',
        'v1,====',
        '\u0000',
        `v1,${'\u{1F4DA}'.repeat(11)}`,
        'x'.repeat(100_000),
      ];
      for (const value of hostile) {
        expect(verify(utf8(payload), { ...delivery, signature: value }).ok).toBe(false);
        expect(verify(utf8(payload), { ...delivery, id: value }).ok).toBe(false);
        expect(verify(utf8(payload), { ...delivery, timestamp: value }).ok).toBe(false);
      }
    });
  });

  describe('secretProblem', () => {
    it('accepts whsec_ secrets of 24 to 64 bytes', () => {
      expect(standardWebhooksSecretProblem(secret)).toBeUndefined();
      expect(standardWebhooksSecretProblem(rotatedSecret)).toBeUndefined();
      expect(
        standardWebhooksSecretProblem(`whsec_${Buffer.alloc(64, 9).toString('base64')}`),
      ).toBeUndefined();
      expect(standardWebhooksSecretProblem(generateStandardWebhooksSecret())).toBeUndefined();
    });

    it.each([
      ['a missing whsec_ prefix', Buffer.alloc(32, 3).toString('base64')],
      ['a trailing newline', `${secret}\n`],
      ['a leading space', ` ${secret}`],
      ['inner whitespace', `whsec_MfKQ9r8GKYqr TwjUPD8ILPZIo2LaLaSw`],
      ['invalid base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa$w'],
      ['unpadded base64', `whsec_${Buffer.alloc(32, 3).toString('base64').replace(/=+$/, '')}`],
      ['URL-safe base64', `whsec_${Buffer.alloc(30, 0xfb).toString('base64url')}`],
      ['fewer than 24 bytes', `whsec_${Buffer.alloc(16, 3).toString('base64')}`],
      ['more than 64 bytes', `whsec_${Buffer.alloc(65, 3).toString('base64')}`],
      ['an empty key', 'whsec_'],
    ])('describes %s without quoting the secret', (_label, candidate) => {
      const problem = standardWebhooksSecretProblem(candidate);
      expect(problem).toEqual(expect.any(String));
      expect(problem).not.toContain(candidate.trim().slice('whsec_'.length) || '\u0000');
    });
  });
});
