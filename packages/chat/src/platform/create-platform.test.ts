import { ConfigurationError, gatewayConfigSchema } from '@mangaassist/fm-gateway';
import { describe, expect, it } from 'vitest';
import { createPlatform } from './create-platform.js';

describe('createPlatform', () => {
  it('refuses to fall back to per-instance memory outside dev', () => {
    const config = gatewayConfigSchema.parse({ stage: 'prod' });
    expect(() => createPlatform(config)).toThrow(ConfigurationError);
    expect(() => createPlatform(config)).toThrow(/redisUrl, sessionsTable, tenantsJson/);
  });

  it('builds a stateless platform in memory for dev', async () => {
    const platform = createPlatform(gatewayConfigSchema.parse({}));
    expect(platform.tenants).toBeUndefined();
    expect(await platform.sessions.history('tenant', 'session-0001', 10)).toEqual([]);
    await platform.close();
  });
});
