import { describe, expect, it } from 'vitest';
import { TenantConfigError, TenantDirectory } from './tenant-directory.js';
import { tenant } from './testing/tenant-fixtures.js';

function configJson(config: unknown): string {
  return JSON.stringify(config);
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof TenantConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a TenantConfigError');
}

describe('TenantDirectory', () => {
  it('finds tenants by id and by API Gateway key id, applying the schema defaults', () => {
    const directory = TenantDirectory.fromJson(
      configJson({
        tenants: [
          { id: 'manga-store', name: 'Manga store' },
          { id: 'small-shop', name: 'Small', dailyBudgetUsd: 2 },
        ],
        apiKeys: { abc123defg: 'manga-store', zyx987wvut: 'small-shop' },
      }),
    );
    expect(directory.get('manga-store')).toEqual(tenant({ id: 'manga-store', name: 'Manga store' }));
    expect(directory.get('manga-store')).toMatchObject({
      throttle: { rateLimit: 100, burstLimit: 200 },
      quota: { limit: 100_000, period: 'MONTH' },
      dailyBudgetUsd: 50,
    });
    expect(directory.tenantForApiKeyId('zyx987wvut')?.dailyBudgetUsd).toBe(2);
    expect(directory.list().map((entry) => entry.id)).toEqual(['manga-store', 'small-shop']);
  });

  it('answers undefined for an unknown tenant id or key id', () => {
    const directory = TenantDirectory.fromConfig({ tenants: [tenant()], apiKeys: { key1: 'manga-store' } });
    expect(directory.get('nobody')).toBeUndefined();
    expect(directory.tenantForApiKeyId('key2')).toBeUndefined();
  });

  it('accepts a configuration without api keys', () => {
    expect(TenantDirectory.fromConfig({ tenants: [tenant()] }).tenantForApiKeyId('any')).toBeUndefined();
  });

  it('names every problem at once: duplicate ids and keys of unknown tenants', () => {
    const problems = problemsOf(() =>
      TenantDirectory.fromConfig({
        tenants: [tenant({ id: 'twice' }), tenant({ id: 'twice' })],
        apiKeys: { key1: 'ghost', key2: 'phantom', key3: 'twice' },
      }),
    );
    expect(problems).toEqual([
      'tenants: duplicate tenant id "twice"',
      'apiKeys.key1: unknown tenant "ghost"',
      'apiKeys.key2: unknown tenant "phantom"',
    ]);
  });

  it('reports schema errors with their path', () => {
    const problems = problemsOf(() =>
      TenantDirectory.fromJson(
        configJson({
          tenants: [
            { id: 'Bad Id', name: 'x' },
            { id: 'ok-id', name: 'y', dailyBudgetUsd: -1 },
          ],
          extra: true,
        }),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tenants\.0\.id: /),
        expect.stringMatching(/^tenants\.1\.dailyBudgetUsd: /),
        expect.stringMatching(/extra/),
      ]),
    );
  });

  it('rejects malformed JSON with a TenantConfigError that names the variable', () => {
    expect(() => TenantDirectory.fromJson('{"tenants": [')).toThrow(TenantConfigError);
    expect(() => TenantDirectory.fromJson('{"tenants": [')).toThrow(/TENANTS_JSON.*not valid JSON/);
  });
});
