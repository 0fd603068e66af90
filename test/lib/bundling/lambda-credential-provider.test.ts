// The Lambda bundles' stand-in for the SDK's default credential chain (an esbuild alias).
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../../lib/bundling/lambda-credential-provider.js';

const saved = { ...process.env };
afterEach(() => {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** Where `dependency` resolves from `packageName`'s own folder: the copy a bundle would take. */
function resolvedFrom(packageName: string, dependency: string): string {
  const packageJson = createRequire(import.meta.url).resolve(`${packageName}/package.json`);
  return realpathSync(path.dirname(createRequire(packageJson).resolve(`${dependency}/package.json`)));
}

describe('the Lambda credential provider', () => {
  it('gives the execution role’s credentials Lambda puts in the environment, session token included', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';

    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('fails clearly, not silently anonymous, without them', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;

    await expect(defaultProvider()()).rejects.toThrow('Unable to find environment variable credentials');
  });

  it('shares the SDK clients’ @aws-sdk/core, so a bundle carries one copy (bump it with the SDK)', () => {
    expect(resolvedFrom('@aws-sdk/credential-provider-env', '@aws-sdk/core')).toBe(
      resolvedFrom('@aws-sdk/client-dynamodb', '@aws-sdk/core'),
    );
  });
});
