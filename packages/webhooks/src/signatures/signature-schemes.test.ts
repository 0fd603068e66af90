import { describe, expect, it } from 'vitest';
import { japaneseReviewJson, signatureInput, utf8 } from '../testing/signature-fixtures.js';
import {
  generateWebhookSecret,
  signatureSchemeNames,
  signatureSchemes,
  signedWebhookHeaders,
} from './signature-schemes.js';

describe('signatureSchemes', () => {
  it('holds every scheme under its own name', () => {
    expect(Object.keys(signatureSchemes).sort()).toEqual([...signatureSchemeNames].sort());
    for (const name of signatureSchemeNames) expect(signatureSchemes[name].name).toBe(name);
  });

  it.each(signatureSchemeNames)('generates %s secrets that pass its secretProblem', (name) => {
    const secret = generateWebhookSecret(name);
    expect(signatureSchemes[name].secretProblem(secret)).toBeUndefined();
    expect(generateWebhookSecret(name)).not.toBe(secret);
  });

  it.each(signatureSchemeNames)('verifies a %s delivery signed by signedWebhookHeaders', (name) => {
    const secret = generateWebhookSecret(name);
    const body = utf8(japaneseReviewJson());
    const input = signatureInput({ body, secrets: [secret] });
    const headers = signedWebhookHeaders(name, { body, secret, timestampSeconds: input.nowSeconds });
    expect(signatureSchemes[name].verify({ ...input, headers }).ok).toBe(true);
  });

  it('carries the given delivery id in Standard Webhooks headers', () => {
    const secret = generateWebhookSecret('standard-webhooks');
    const input = signatureInput({ secrets: [secret] });
    const headers = signedWebhookHeaders('standard-webhooks', {
      body: input.body,
      secret,
      timestampSeconds: input.nowSeconds,
      deliveryId: 'msg_review_42',
    });
    expect(signatureSchemes['standard-webhooks'].verify({ ...input, headers })).toMatchObject({
      ok: true,
      deliveryId: 'msg_review_42',
    });
  });
});
