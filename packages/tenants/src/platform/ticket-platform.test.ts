import { ConfigurationError } from '@mangaassist/commons';
import { describe, expect, it } from 'vitest';
import { tenantsConfigSchema } from '../tenants-config.js';
import { createTicketPlatform, tenantsConfigFromEnvironment } from './ticket-platform.js';

const tenantsJson = JSON.stringify({
  tenants: [{ id: 'manga-store', name: 'Manga Store' }],
  apiKeys: { 'key-1': 'manga-store' },
});

describe('createTicketPlatform', () => {
  it('refuses per-instance tickets outside dev', () => {
    const config = tenantsConfigSchema.parse({ stage: 'prod' });
    expect(() => createTicketPlatform(config)).toThrow(ConfigurationError);
    expect(() => createTicketPlatform(config)).toThrow(/the ticket door needs redisUrl, tenantsJson/);
  });

  it('issues tickets its tenant redeems once, in memory for dev', async () => {
    const platform = createTicketPlatform(tenantsConfigSchema.parse({ tenantsJson }));
    const tenant = platform.resolveTenant('key-1');
    expect(tenant).toBe('manga-store');
    const ticket = await platform.tickets.issue(tenant, 60);
    expect(await platform.tickets.redeem(ticket)).toBe('manga-store');
    expect(await platform.tickets.redeem(ticket)).toBeUndefined();
    await platform.close();
  });
});

describe('tenantsConfigFromEnvironment', () => {
  it('reads the stage, Redis and the tenants, ignoring everything else', () => {
    expect(
      tenantsConfigFromEnvironment({
        MANGA_ENV: 'prod',
        REDIS_URL: 'redis://127.0.0.1:6379',
        TENANTS_JSON: tenantsJson,
        SESSIONS_TABLE: 'x',
      }),
    ).toEqual({ stage: 'prod', redisUrl: 'redis://127.0.0.1:6379', tenantsJson });
  });
});
