import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type TenantKeySource, tenantKeysOf } from '@mangaassist/tenants';

/**
 * The tenants' key values, read from their Secrets Manager secrets (`tenantApiKeySecretName`;
 * `GetSecretValue` on each, which Secrets Manager serves thousands of times a second) the first
 * time they are needed, and kept for the life of the environment: a key's value changes only by
 * deploying, which gives the functions new environments. A failed read is not kept: the next
 * request reads again.
 *
 * @param secretIds tenant id → the secret (name or ARN) holding its key's value.
 */
export function secretsManagerKeySource(
  client: Pick<SecretsManagerClient, 'send'>,
  secretIds: Readonly<Record<string, string>>,
): TenantKeySource {
  let loading: ReturnType<TenantKeySource> | undefined;
  const load: TenantKeySource = async () => {
    const keys = await Promise.all(
      Object.entries(secretIds).map(async ([tenantId, secretId]) => {
        const { SecretString: value } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (value === undefined || value === '')
          throw new Error(`The API key secret ${secretId} holds no value.`);
        return { tenantId, value };
      }),
    );
    return tenantKeysOf(keys);
  };
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
