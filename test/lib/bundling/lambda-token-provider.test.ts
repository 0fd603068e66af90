// The Lambda bundles' stand-in for @aws-sdk/token-providers (an esbuild alias): it must read a
// Bedrock API key exactly as the SDK's own provider does.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fromEnvSigningName as sdkFromEnvSigningName } from '@aws-sdk/token-providers';
import { afterEach, describe, expect, it } from 'vitest';
import { fromEnvSigningName, nodeProvider } from '../../../lib/bundling/lambda-token-provider.js';

const variable = 'AWS_BEARER_TOKEN_BEDROCK';
const saved = process.env[variable];
afterEach(() => {
  if (saved === undefined) delete process.env[variable];
  else process.env[variable] = saved;
});

/** What a provider settles with: the token, or the error's name and message. */
async function outcome(provider: () => Promise<{ token: string }>) {
  try {
    return { token: (await provider()).token };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

describe('the Lambda token provider', () => {
  it.each([
    ['a Bedrock API key in the environment', 'bedrock', 'ABSK-example'],
    ['no key', 'bedrock', undefined],
    ['a signing name with a space and a dash', 'bedrock runtime-x', undefined],
    ['no signing name', undefined, 'ABSK-example'],
  ])('reads %s as the SDK does', async (_, signingName, token) => {
    if (token === undefined) delete process.env[variable];
    else process.env[variable] = token;
    const options = signingName === undefined ? {} : { signingName };

    expect(await outcome(fromEnvSigningName(options))).toEqual(await outcome(sdkFromEnvSigningName(options)));
  });

  it('is compared with the very provider the Bedrock client uses (bump it with the SDK)', () => {
    const resolved = (from: string) =>
      realpathSync(
        path.dirname(
          createRequire(createRequire(import.meta.url).resolve(`${from}/package.json`)).resolve(
            '@aws-sdk/token-providers/package.json',
          ),
        ),
      );
    expect(resolved('@aws-sdk/client-bedrock-runtime')).toBe(
      realpathSync(
        path.dirname(createRequire(import.meta.url).resolve('@aws-sdk/token-providers/package.json')),
      ),
    );
  });

  it('refuses the SSO fallback, which cannot apply in Lambda', async () => {
    await expect(nodeProvider()()).rejects.toMatchObject({ name: 'TokenProviderError' });
  });
});
