import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { apiGatewayKeySource } from './api-gateway-key-source.js';

describe('apiGatewayKeySource', () => {
  it("reads each tenant's key value once, with includeValue, and keeps them", async () => {
    const apiGateway = mockClient(APIGatewayClient);
    apiGateway.on(GetApiKeyCommand, { apiKey: 'id-web' }).resolves({ value: 'web-value' });
    apiGateway.on(GetApiKeyCommand, { apiKey: 'id-app' }).resolves({ value: 'app-value' });
    const source = apiGatewayKeySource(new APIGatewayClient({}), { 'id-web': 'web', 'id-app': 'app' });
    const keys = await source();
    expect(keys.tenantOfKey('web-value')).toBe('web');
    expect(keys.keyOfTenant('app')).toBe('app-value');
    expect(keys.tenantOfKey('id-web')).toBeUndefined();
    await source();
    const calls = apiGateway.commandCalls(GetApiKeyCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { apiKey: 'id-web', includeValue: true },
      { apiKey: 'id-app', includeValue: true },
    ]);
  });

  it('does not keep a failed read: the next request reads again', async () => {
    const apiGateway = mockClient(APIGatewayClient);
    apiGateway
      .on(GetApiKeyCommand)
      .rejectsOnce(new Error('AccessDeniedException'))
      .resolvesOnce({})
      .resolves({ value: 'web-value' });
    const source = apiGatewayKeySource(new APIGatewayClient({}), { 'id-web': 'web' });
    await expect(source()).rejects.toThrow('AccessDeniedException');
    await expect(source()).rejects.toThrow(/no value for API key id-web/);
    expect((await source()).tenantOfKey('web-value')).toBe('web');
    expect(apiGateway.commandCalls(GetApiKeyCommand)).toHaveLength(3);
  });
});
