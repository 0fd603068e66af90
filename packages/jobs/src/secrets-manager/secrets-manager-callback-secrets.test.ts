import { inspect } from 'node:util';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerCallbackSecrets } from './secrets-manager-callback-secrets.js';

const secretsMock = mockClient(SecretsManagerClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => secretsMock.restore());

beforeEach(() => {
  secretsMock.reset();
});

const secretId = 'mangaassist/prod/job-callback-secrets';
/** A `whsec_` secret whose base64 is `fill` repeated. */
const whsec = (fill: number) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;
const current = whsec(1);
const previous = whsec(2);
const otherTenants = whsec(3);

function secretsDocument(
  document: unknown = { 'tenant-1': [current, previous], 'tenant-2': [otherTenants] },
) {
  return { SecretString: JSON.stringify(document) };
}

/** The adapter with a clock the test moves: `clock.at` is the current epoch milliseconds. */
function makeSecrets(options: { readonly ttlMs?: number } = {}) {
  const clock = { at: Date.UTC(2026, 0, 1) };
  const secrets = new SecretsManagerCallbackSecrets(
    new SecretsManagerClient({ region: 'ap-northeast-1' }),
    secretId,
    {
      ...options,
      now: () => clock.at,
    },
  );
  return { secrets, clock };
}

/** What a promise rejected with, failing the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`Expected a rejection, got ${inspect(value)}`);
    },
    (reason: unknown) => reason,
  );
}

describe('SecretsManagerCallbackSecrets', () => {
  it('answers the first of a tenant’s secrets, the one to sign with', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(secretsDocument());
    const { secrets } = makeSecrets();

    expect(await secrets.signingSecret('tenant-1')).toBe(current);
    expect(await secrets.signingSecret('tenant-2')).toBe(otherTenants);
    expect(secretsMock).toReceiveCommandWith(GetSecretValueCommand, { SecretId: secretId });
  });

  it.each(['tenant-unknown', '__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'answers undefined for a tenant the document does not list: %s',
    async (tenantId) => {
      secretsMock.on(GetSecretValueCommand).resolves(secretsDocument());
      const { secrets } = makeSecrets();

      expect(await secrets.signingSecret(tenantId)).toBeUndefined();
    },
  );

  it('reads the secret once for calls within ttlMs', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(secretsDocument());
    const { secrets, clock } = makeSecrets({ ttlMs: 10_000 });

    await secrets.signingSecret('tenant-1');
    clock.at += 9_999;
    await secrets.signingSecret('tenant-2');

    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret again once ttlMs have passed, so a rotation takes effect', async () => {
    const rotated = whsec(9);
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(secretsDocument())
      .resolvesOnce(secretsDocument({ 'tenant-1': [rotated, current] }));
    const { secrets, clock } = makeSecrets({ ttlMs: 10_000 });

    expect(await secrets.signingSecret('tenant-1')).toBe(current);
    clock.at += 10_000;
    expect(await secrets.signingSecret('tenant-1')).toBe(rotated);

    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('keeps the secrets for a minute by default', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(secretsDocument());
    const { secrets, clock } = makeSecrets();

    await secrets.signingSecret('tenant-1');
    clock.at += 59_999;
    await secrets.signingSecret('tenant-1');
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);

    clock.at += 1;
    await secrets.signingSecret('tenant-1');
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each([
    // A secret stored bare instead of in the JSON document: JSON.parse's own message quotes its start.
    ['that is a bare secret, not JSON', current, /not JSON/, current],
    ['that is cut short', `{"tenant-1": ["${current}"`, /not JSON/, current],
    [
      'with a secret without whsec_',
      JSON.stringify({ 'tenant-1': ['c2lnbmluZy1rZXktb25l'] }),
      /malformed at: tenant-1\.0/,
      'c2lnbmluZy1rZXktb25l',
    ],
    [
      'with a secret that is not base64',
      JSON.stringify({ 'tenant-1': [current, 'whsec_not base64!'] }),
      /malformed at: tenant-1\.1/,
      'whsec_not base64!',
    ],
    [
      'with an empty list',
      JSON.stringify({ 'tenant-1': [current], 'tenant-2': [] }),
      /malformed at: tenant-2/,
      current,
    ],
    [
      'with a secret that is not a list',
      JSON.stringify({ 'tenant-1': current }),
      /malformed at: tenant-1/,
      current,
    ],
  ])(
    'throws on a document %s, naming the secret id but no part of a secret',
    async (_, secretString, message, secretValue) => {
      secretsMock.on(GetSecretValueCommand).resolves({ SecretString: secretString });
      const { secrets } = makeSecrets();

      const error = await rejectionOf(secrets.signingSecret('tenant-1'));

      expect(error).toBeInstanceOf(Error);
      expect(error).toHaveProperty('message', expect.stringMatching(message));
      expect(error).toHaveProperty('message', expect.stringContaining(secretId));
      // Everything a log line could show: message, stack, cause and own properties.
      const shown = inspect(error, { depth: 5 });
      expect(shown).not.toContain(secretValue.slice(0, 10));
      expect(shown).not.toContain('whsec_');
    },
  );

  it('throws on a secret that has no SecretString (a binary secret)', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    await expect(makeSecrets().secrets.signingSecret('tenant-1')).rejects.toThrow(
      `the callback secrets (${secretId}) are not JSON`,
    );
  });

  it('reads the secret again on the next call after a malformed document, caching nothing', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'not json' })
      .resolvesOnce(secretsDocument());
    const { secrets } = makeSecrets();

    await expect(secrets.signingSecret('tenant-1')).rejects.toThrow(/not JSON/);
    expect(await secrets.signingSecret('tenant-1')).toBe(current);
  });

  it('throws what Secrets Manager reports', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }));

    await expect(makeSecrets().secrets.signingSecret('tenant-1')).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
