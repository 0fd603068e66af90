import { describe, expect, it } from 'vitest';
import { WebhookSecretError } from '../webhook-secret-provider.js';
import { parseWebhookSecrets, parseWebhookSecretsJson } from './webhook-secrets-document.js';

/** A scheme's format check, as the real schemes do it for `whsec_` secrets. */
const whsecFormat = {
  secretProblem: (secret: string) => (secret.startsWith('whsec_') ? undefined : 'it must start with whsec_'),
};

function secretsDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    stripe: ['whsec_stripeCurrent', 'whsec_stripePrevious'],
    reviews: ['whsec_reviewsCurrent'],
    catalog: ['whsec_catalogCurrent'],
    ...overrides,
  };
}

describe('parseWebhookSecrets', () => {
  it('returns every active secret of the sources it serves', () => {
    expect(parseWebhookSecrets(secretsDocument(), { stripe: whsecFormat }).stripe).toEqual([
      'whsec_stripeCurrent',
      'whsec_stripePrevious',
    ]);
  });

  it('is not stopped by a mistake in the secrets of a source it does not serve', () => {
    const document = secretsDocument({ reviews: [' whsec_pasted'], catalog: 'whsec_not_a_list' });

    const secrets = parseWebhookSecrets(document, { stripe: whsecFormat });

    expect(secrets.stripe).toEqual(['whsec_stripeCurrent', 'whsec_stripePrevious']);
  });

  it('returns no secrets for the sources it does not serve, which it has not checked', () => {
    const secrets = parseWebhookSecrets(secretsDocument(), { stripe: whsecFormat });

    expect(secrets).toEqual({
      stripe: ['whsec_stripeCurrent', 'whsec_stripePrevious'],
      reviews: [],
      catalog: [],
    });
  });

  it('lets the other sources be missing or empty', () => {
    expect(() =>
      parseWebhookSecrets({ catalog: ['whsec_c'], reviews: [] }, { catalog: whsecFormat }),
    ).not.toThrow();
  });

  it('accepts a source it does not know yet, added before its code', () => {
    const secrets = parseWebhookSecrets(secretsDocument({ paypal: ['partner-key'] }), {
      stripe: whsecFormat,
    });

    expect(secrets).not.toHaveProperty('paypal');
  });

  it('refuses a document in which the served source has no secret, naming it', () => {
    expect(() => parseWebhookSecrets(secretsDocument({ stripe: [] }), { stripe: whsecFormat })).toThrow(
      new WebhookSecretError(
        'The webhook secrets document has no secret for stripe: expected "stripe": ["…"] with at least one.',
      ),
    );
    const { stripe: _stripe, ...withoutStripe } = secretsDocument();
    expect(() => parseWebhookSecrets(withoutStripe, { stripe: whsecFormat })).toThrow(/no secret for stripe/);
  });

  it('refuses a served source whose secrets are not a list of strings, naming the path', () => {
    expect(() =>
      parseWebhookSecrets(secretsDocument({ stripe: 'whsec_a' }), { stripe: whsecFormat }),
    ).toThrow(/malformed at stripe/);
    expect(() =>
      parseWebhookSecrets(secretsDocument({ stripe: ['whsec_a', ''] }), { stripe: whsecFormat }),
    ).toThrow(/malformed at stripe\.1/);
  });

  it('refuses a malformed secret of the served source, naming source and index but not the secret', () => {
    const failure = (() => {
      try {
        parseWebhookSecrets(secretsDocument({ catalog: ['whsec_ok', 'hex-key-leaky'] }), {
          catalog: whsecFormat,
        });
      } catch (error) {
        return error;
      }
      return undefined;
    })();

    expect(failure).toEqual(
      new WebhookSecretError('Webhook secret catalog[1] is malformed: it must start with whsec_.'),
    );
    expect((failure as Error).message).not.toContain('leaky');
  });

  it('serves the sources listed explicitly, checked alike without a format', () => {
    const document = secretsDocument({ stripe: [], catalog: ['whsec_padded '] });

    expect(parseWebhookSecrets(document, {}, ['reviews']).reviews).toEqual(['whsec_reviewsCurrent']);
    expect(() => parseWebhookSecrets(document, {}, ['catalog'])).toThrow(
      /catalog\[0\] is malformed: .*whitespace/,
    );
  });

  it('serves, and so checks, every source when neither formats nor a list name one', () => {
    expect(() => parseWebhookSecrets(secretsDocument({ catalog: [] }))).toThrow(/no secret for catalog/);
  });

  it('refuses a document that is not a JSON object', () => {
    for (const document of [null, ['whsec_a'], 'whsec_a', 42]) {
      expect(() => parseWebhookSecrets(document, { stripe: whsecFormat })).toThrow(
        /malformed at \(document\): expected an object/,
      );
    }
  });
});

describe('parseWebhookSecretsJson', () => {
  it('refuses text that is not JSON without quoting it', () => {
    expect(() => parseWebhookSecretsJson('{"stripe": ["whsec_leaky"', { stripe: whsecFormat })).toThrow(
      new WebhookSecretError('The webhook secrets document is not valid JSON.'),
    );
  });

  it('parses the document of one served source', () => {
    expect(parseWebhookSecretsJson('{"reviews":["whsec_r"]}', { reviews: whsecFormat }).reviews).toEqual([
      'whsec_r',
    ]);
  });
});
