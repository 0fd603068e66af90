import { webhookSources } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { signatureSchemes } from '../signatures/signature-schemes.js';
import { WebhookSecretError } from '../webhook-secret-provider.js';
import { generateDevWebhookSecrets } from './dev-webhook-secrets.js';
import { StaticWebhookSecrets } from './static-webhook-secrets.js';

const whsecFormat = {
  secretProblem: (secret: string) => (secret.startsWith('whsec_') ? undefined : 'it must start with whsec_'),
};

describe('generateDevWebhookSecrets', () => {
  it('makes one whsec_ secret of 32 random bytes per source', () => {
    const secrets = generateDevWebhookSecrets();

    expect(Object.keys(secrets).sort()).toEqual([...webhookSources].sort());
    for (const source of webhookSources) {
      const [secret] = secrets[source];
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      expect(Buffer.from(secret?.slice('whsec_'.length) ?? '', 'base64')).toHaveLength(32);
    }
  });

  it('makes different secrets on every run and for every source', () => {
    const first = generateDevWebhookSecrets();
    const second = generateDevWebhookSecrets();

    const all = [...Object.values(first).flat(), ...Object.values(second).flat()];
    expect(new Set(all).size).toBe(all.length);
  });

  it('encodes the bytes it is given', () => {
    expect(generateDevWebhookSecrets((size) => new Uint8Array(size).fill(0xff)).stripe).toEqual([
      `whsec_${Buffer.alloc(32, 0xff).toString('base64')}`,
    ]);
  });

  it('makes secrets every signature scheme accepts', () => {
    const secrets = generateDevWebhookSecrets();

    for (const scheme of Object.values(signatureSchemes)) {
      expect(scheme.secretProblem(secrets.stripe[0] ?? '')).toBeUndefined();
    }
  });
});

describe('StaticWebhookSecrets', () => {
  it('serves each source its secrets', async () => {
    const generated = generateDevWebhookSecrets();
    const secrets = new StaticWebhookSecrets(generated, {
      formats: { stripe: whsecFormat },
      sources: webhookSources,
    });

    expect(await secrets.secrets('reviews')).toEqual(generated.reviews);
    expect(secrets.list()).toEqual(generated);
  });

  it('refuses a malformed secret at construction, naming source and index', () => {
    const secrets = { ...generateDevWebhookSecrets(), catalog: ['whsec_ok', ' whsec_padded'] };

    expect(() => new StaticWebhookSecrets(secrets, { formats: { catalog: whsecFormat } })).toThrow(
      new WebhookSecretError(
        'Webhook secret catalog[1] is malformed: it contains whitespace or a control character.',
      ),
    );
  });

  it('refuses a secret carrying an invisible zero-width character', () => {
    const secrets = { ...generateDevWebhookSecrets(), stripe: ['whsec_abc\u200bdef'] };

    expect(() => new StaticWebhookSecrets(secrets)).toThrow(/stripe\[0\] is malformed/);
  });

  it('serves a document that holds only the secrets of the sources it serves', async () => {
    const secrets = new StaticWebhookSecrets(
      { stripe: ['whsec_stripe'], reviews: [], catalog: [] },
      { formats: { stripe: whsecFormat } },
    );

    expect(await secrets.secrets('stripe')).toEqual(['whsec_stripe']);
  });

  it('refuses, loudly, to serve a source it was not built for', async () => {
    const secrets = new StaticWebhookSecrets(generateDevWebhookSecrets(), {
      formats: { stripe: whsecFormat },
    });

    await expect(secrets.secrets('catalog')).rejects.toThrow(
      new WebhookSecretError(
        'The webhook secrets of catalog are not loaded here: this provider serves stripe.',
      ),
    );
  });

  it('is not changed by later changes to the object it was built from, or to what it lists', async () => {
    const generated = generateDevWebhookSecrets();
    const secrets = new StaticWebhookSecrets(generated);

    generated.stripe.push('whsec_added');
    secrets.list().stripe.push('whsec_added');

    expect(await secrets.secrets('stripe')).toHaveLength(1);
  });
});
