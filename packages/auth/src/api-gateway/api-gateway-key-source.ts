import { type APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { type TenantKeySource, tenantKeysOf } from '@mangaassist/tenants';

/**
 * The tenants' key values, read from API Gateway (`GetApiKey` with `includeValue`, which needs
 * `apigateway:GET` on each `/apikeys/<id>`) the first time they are needed and kept for the life
 * of the environment: a key is replaced by deploying a new one, which gives the functions a new
 * `TENANTS_JSON` and so new environments. A failed read is not kept: the next request retries.
 *
 * @param keyIds API key id → tenant id (`TENANTS_JSON`'s `apiKeys`).
 */
export function apiGatewayKeySource(
  client: Pick<APIGatewayClient, 'send'>,
  keyIds: Readonly<Record<string, string>>,
): TenantKeySource {
  let loading: ReturnType<TenantKeySource> | undefined;
  const load: TenantKeySource = async () => {
    const keys = await Promise.all(
      Object.entries(keyIds).map(async ([apiKey, tenantId]) => {
        const { value } = await client.send(new GetApiKeyCommand({ apiKey, includeValue: true }));
        if (value === undefined) throw new Error(`API Gateway returned no value for API key ${apiKey}.`);
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
