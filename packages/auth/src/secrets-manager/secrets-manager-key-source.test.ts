import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { secretsManagerKeySource } from './secrets-manager-key-source.js';

const secretIds = { web: 'mangaassist-prod-api-key-web', app: 'mangaassist-prod-api-key-app' };

describe('secretsManagerKeySource', () => {
  it("reads each tenant's key value once, from its secret, and keeps them", async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand, { SecretId: secretIds.web }).resolves({ SecretString: 'web-value' });
    secrets.on(GetSecretValueCommand, { SecretId: secretIds.app }).resolves({ SecretString: 'app-value' });
    const source = secretsManagerKeySource(new SecretsManagerClient({}), secretIds);
    const keys = await source();
    expect(keys.tenantOfKey('web-value')).toBe('web');
    expect(keys.keyOfTenant('app')).toBe('app-value');
    expect(keys.tenantOfKey(secretIds.web)).toBeUndefined();
    await source();
    const calls = secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([{ SecretId: secretIds.web }, { SecretId: secretIds.app }]);
  });

  it('does not keep a failed read: the next request reads again', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('ThrottlingException'))
      .resolvesOnce({ SecretString: '' })
      .resolves({ SecretString: 'web-value' });
    const source = secretsManagerKeySource(new SecretsManagerClient({}), { web: secretIds.web });
    await expect(source()).rejects.toThrow('ThrottlingException');
    await expect(source()).rejects.toThrow(/holds no value/);
    expect((await source()).tenantOfKey('web-value')).toBe('web');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });
});
