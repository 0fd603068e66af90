import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { recordingLogger } from '@mangaassist/commons/testing';
import type { WebhookSecrets } from '@mangaassist/contracts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookSecretError } from '../webhook-secret-provider.js';
import {
  SecretsManagerWebhookSecrets,
  type SecretsManagerWebhookSecretsOptions,
} from './secrets-manager-webhook-secrets.js';

const secretId = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mangaassist/webhooks';
const smMock = mockClient(SecretsManagerClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => smMock.restore());

beforeEach(() => {
  smMock.reset();
});

/** A scheme's format check, as the real schemes do it for `whsec_` secrets. */
const whsecFormat = {
  secretProblem: (secret: string) => (secret.startsWith('whsec_') ? undefined : 'it must start with whsec_'),
};

function secretsDocument(overrides: Partial<WebhookSecrets> = {}): WebhookSecrets {
  return {
    stripe: ['whsec_stripeCurrent'],
    reviews: ['whsec_reviewsCurrent'],
    catalog: ['whsec_catalogCurrent'],
    ...overrides,
  };
}

function storedSecret(document: unknown) {
  return {
    SecretString: typeof document === 'string' ? document : JSON.stringify(document),
    Name: 'webhooks',
  };
}

function makeProvider(options: Partial<SecretsManagerWebhookSecretsOptions> = {}) {
  let now = 1_700_000_000_000;
  const logger = recordingLogger();
  const provider = new SecretsManagerWebhookSecrets(new SecretsManagerClient({ region: 'ap-northeast-1' }), {
    secretId,
    formats: { stripe: whsecFormat, reviews: whsecFormat, catalog: whsecFormat },
    now: () => now,
    logger,
    ...options,
  });
  return {
    provider,
    logger,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SecretsManagerWebhookSecrets', () => {
  it('reads the secret once and serves every source from it within the TTL', async () => {
    smMock.on(GetSecretValueCommand).resolves(storedSecret(secretsDocument()));
    const { provider, advance } = makeProvider();

    expect(await provider.secrets('stripe')).toEqual(['whsec_stripeCurrent']);
    advance(59_000);
    expect(await provider.secrets('catalog')).toEqual(['whsec_catalogCurrent']);

    expect(smMock).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(smMock).toReceiveCommandWith(GetSecretValueCommand, { SecretId: secretId });
  });

  it('picks up a rotation once the TTL has passed, without a redeploy', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce(storedSecret(secretsDocument()))
      .resolves(storedSecret(secretsDocument({ stripe: ['whsec_stripeNext', 'whsec_stripeCurrent'] })));
    const { provider, advance } = makeProvider();

    await provider.secrets('stripe');
    advance(60_000);

    expect(await provider.secrets('stripe')).toEqual(['whsec_stripeNext', 'whsec_stripeCurrent']);
    expect(smMock).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('shares one fetch between concurrent first calls', async () => {
    smMock.on(GetSecretValueCommand).resolves(storedSecret(secretsDocument()));
    const { provider } = makeProvider();

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => provider.secrets(index % 2 ? 'reviews' : 'stripe')),
    );

    expect(answers).toHaveLength(20);
    expect(smMock).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('fails loudly on a secret with the wrong prefix, naming source and index but not the secret', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolves(storedSecret(secretsDocument({ reviews: ['whsec_ok', 'rev_sk_live_notAWhsecSecret'] })));
    const { provider, logger } = makeProvider();

    const failure = await provider.secrets('reviews').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(WebhookSecretError);
    expect((failure as Error).message).toContain('reviews[1]');
    expect((failure as Error).message).not.toContain('rev_sk_live_notAWhsecSecret');
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'error' }));
    expect(JSON.stringify(logger.entries)).not.toContain('rev_sk_live_notAWhsecSecret');
  });

  it('fails loudly on a secret with stray whitespace, which would silently change the key', async () => {
    smMock.on(GetSecretValueCommand).resolves(storedSecret(secretsDocument({ stripe: ['whsec_pasted\n'] })));
    const { provider } = makeProvider();

    await expect(provider.secrets('stripe')).rejects.toThrow(/stripe\[0\] is malformed: .*whitespace/);
  });

  it('checks only the formats it was given: other sources are shape-checked alone', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolves(storedSecret(secretsDocument({ catalog: ['partner-hex-key'] })));
    const { provider } = makeProvider({ formats: { stripe: whsecFormat } });

    expect(await provider.secrets('stripe')).toEqual(['whsec_stripeCurrent']);
  });

  it('rejects a document that is not JSON without quoting it', async () => {
    smMock.on(GetSecretValueCommand).resolves(storedSecret('{"stripe": ["whsec_leaky"'));
    const { provider } = makeProvider();

    const failure = await provider.secrets('stripe').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(WebhookSecretError);
    expect((failure as Error).message).not.toContain('whsec_leaky');
  });

  it('rejects a document missing a source or with an empty list', async () => {
    smMock.on(GetSecretValueCommand).resolves(storedSecret({ stripe: ['whsec_a'], reviews: [] }));
    const { provider } = makeProvider();

    await expect(provider.secrets('stripe')).rejects.toThrow(WebhookSecretError);
  });

  it('rejects a binary secret', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const { provider } = makeProvider();

    await expect(provider.secrets('stripe')).rejects.toThrow(/no SecretString/);
  });

  it('wraps an unreachable store in WebhookSecretError', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'secret not found', $metadata: {} }));
    const { provider } = makeProvider();

    const failure = await provider.secrets('stripe').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(WebhookSecretError);
    expect((failure as Error).message).toContain('secret not found');
  });

  it('keeps serving the last good secrets when a refresh fails, and logs it', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce(storedSecret(secretsDocument()))
      .rejects(new Error('connect ETIMEDOUT'));
    const { provider, logger, advance } = makeProvider();
    await provider.secrets('stripe');

    advance(61_000);

    expect(await provider.secrets('stripe')).toEqual(['whsec_stripeCurrent']);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: expect.stringContaining('serving the last good') }),
    );
  });

  it('keeps serving the last good secrets when a malformed document is stored by mistake', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce(storedSecret(secretsDocument()))
      .resolves(storedSecret(secretsDocument({ stripe: ['sk_live_wrongKind'] })));
    const { provider, advance } = makeProvider();
    await provider.secrets('stripe');

    advance(61_000);

    expect(await provider.secrets('stripe')).toEqual(['whsec_stripeCurrent']);
  });

  it('stops serving the last good secrets after the grace period', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce(storedSecret(secretsDocument()))
      .rejects(new Error('connect ETIMEDOUT'));
    const { provider, advance } = makeProvider({ ttlMs: 60_000, graceMs: 120_000 });
    await provider.secrets('stripe');

    advance(60_000 + 120_000);

    await expect(provider.secrets('stripe')).rejects.toThrow(WebhookSecretError);
  });

  it('fetches at most once per retry interval while the store fails', async () => {
    smMock.on(GetSecretValueCommand).rejects(new Error('connect ETIMEDOUT'));
    const { provider, advance } = makeProvider({ retryIntervalMs: 5_000 });

    for (let attempt = 0; attempt < 10; attempt++) {
      await expect(provider.secrets('stripe')).rejects.toThrow(WebhookSecretError);
    }
    expect(smMock).toReceiveCommandTimes(GetSecretValueCommand, 1);

    advance(5_000);
    await expect(provider.secrets('stripe')).rejects.toThrow(WebhookSecretError);
    expect(smMock).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('recovers as soon as a fetch succeeds again, and says so', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('connect ETIMEDOUT'))
      .resolves(storedSecret(secretsDocument()));
    const { provider, logger, advance } = makeProvider({ retryIntervalMs: 5_000 });
    await expect(provider.secrets('stripe')).rejects.toThrow(WebhookSecretError);

    advance(5_000);

    expect(await provider.secrets('stripe')).toEqual(['whsec_stripeCurrent']);
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'info' }));
  });

  it('gives up on a fetch that hangs', async () => {
    smMock.on(GetSecretValueCommand).callsFake(() => new Promise(() => {}));
    const { provider } = makeProvider({ fetchTimeoutMs: 5 });

    await expect(provider.secrets('stripe')).rejects.toThrow(/No reply within 5 ms/);
  });

  it('refuses an empty secret id', () => {
    expect(() => makeProvider({ secretId: ' ' })).toThrow(RangeError);
  });
});
