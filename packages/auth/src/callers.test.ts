import { tenantSchema } from '@mangaassist/contracts';
import { TenantDirectory, tenantKeysOf } from '@mangaassist/tenants';
import { describe, expect, it } from 'vitest';
import { createCallerAuthorizer } from './callers.js';
import { createLocalTokenIssuer } from './local/local-token-issuer.js';
import { createTokenVerifier, IssuerUnavailableError, type TokenVerifier } from './token-verifier.js';

const trusted = { issuer: 'http://localhost/_local', audience: ['app'], tenantClaim: 'custom:tenant' };
const tenants = TenantDirectory.fromConfig({
  tenants: [
    tenantSchema.parse({ id: 'web', name: 'Web' }),
    tenantSchema.parse({ id: 'app', name: 'Mobile app', requireUserToken: true }),
    tenantSchema.parse({ id: 'keyless', name: 'No key' }),
  ],
});
const keys = tenantKeysOf([
  { tenantId: 'web', value: 'web-key-0123456789abcdef' },
  { tenantId: 'app', value: 'app-key-0123456789abcdef' },
]);

async function setup(verifyToken?: TokenVerifier) {
  const issuer = await createLocalTokenIssuer(trusted);
  const authorize = createCallerAuthorizer({
    tenants,
    keys: async () => keys,
    verifyToken: verifyToken ?? createTokenVerifier(trusted, issuer.keys),
  });
  const bearer = async (tenantId: string) =>
    `Bearer ${(await issuer.issue({ tenantId, subject: 'user-7' })).token}`;
  return { authorize, bearer };
}

describe('createCallerAuthorizer', () => {
  it("admits a server tenant's key, metered against that key", async () => {
    const { authorize } = await setup();
    await expect(authorize({ apiKey: 'web-key-0123456789abcdef' })).resolves.toEqual({
      allowed: true,
      tenantId: 'web',
      usageKey: 'web-key-0123456789abcdef',
    });
  });

  it("admits an end user's token for the tenant it names, metered against that tenant's key", async () => {
    const { authorize, bearer } = await setup();
    await expect(authorize({ authorization: await bearer('app') })).resolves.toEqual({
      allowed: true,
      tenantId: 'app',
      usageKey: 'app-key-0123456789abcdef',
      subject: 'user-7',
    });
    // Its own key beside the token is fine; the scheme is case-insensitive.
    const token = (await bearer('app')).replace('Bearer', 'bearer');
    await expect(
      authorize({ authorization: token, apiKey: 'app-key-0123456789abcdef' }),
    ).resolves.toMatchObject({
      allowed: true,
      tenantId: 'app',
    });
  });

  it("refuses a user-token tenant's key on its own: the key shipped in an app is not a credential", async () => {
    const { authorize } = await setup();
    await expect(authorize({ apiKey: 'app-key-0123456789abcdef' })).resolves.toMatchObject({
      allowed: false,
      code: 'user_token_required',
    });
  });

  it('takes the key of a back end whose proxy adds another Authorization scheme (Basic, SigV4), as before tokens', async () => {
    const { authorize } = await setup();
    for (const authorization of ['Basic dXNlcjpwYXNz', 'AWS4-HMAC-SHA256 Credential=AKIA/…']) {
      await expect(authorize({ authorization, apiKey: 'web-key-0123456789abcdef' })).resolves.toMatchObject({
        allowed: true,
        tenantId: 'web',
      });
    }
    // A Bearer token is a token attempt, key or not.
    await expect(
      authorize({ authorization: 'Bearer not.a.jwt', apiKey: 'web-key-0123456789abcdef' }),
    ).resolves.toMatchObject({ allowed: false, code: 'invalid_token' });
  });

  it('refuses a valid token sent with a key of no tenant', async () => {
    const { authorize, bearer } = await setup();
    await expect(
      authorize({ authorization: await bearer('app'), apiKey: 'garbage-0123456789abcdef' }),
    ).resolves.toMatchObject({
      allowed: false,
      code: 'tenant_mismatch',
    });
  });

  it('refuses no credentials, an unknown key, a malformed Authorization and a token with another tenant key', async () => {
    const { authorize, bearer } = await setup();
    const cases = [
      [{}, 'missing_credentials'],
      [{ apiKey: '', authorization: '' }, 'missing_credentials'],
      [{ apiKey: 'guess-0123456789abcdef' }, 'invalid_api_key'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'invalid_token'],
      [{ authorization: 'Bearer' }, 'invalid_token'],
      [{ authorization: `${await bearer('web')} extra` }, 'invalid_token'],
      [{ authorization: await bearer('app'), apiKey: 'web-key-0123456789abcdef' }, 'tenant_mismatch'],
    ] as const;
    for (const [credentials, code] of cases) {
      await expect(authorize(credentials), JSON.stringify(credentials)).resolves.toMatchObject({
        allowed: false,
        code,
      });
    }
  });

  it('refuses a valid token naming a tenant the API lacks, or one without a key to meter it by', async () => {
    const { authorize, bearer } = await setup();
    for (const tenantId of ['nobody', 'keyless']) {
      await expect(authorize({ authorization: await bearer(tenantId) })).resolves.toMatchObject({
        allowed: false,
        code: 'unknown_tenant',
      });
    }
  });

  it("passes on the verifier's refusal, and its failure to reach the issuer", async () => {
    const refusing = await setup(async () => ({
      valid: false,
      code: 'token_expired',
      reason: 'The bearer token has expired.',
    }));
    await expect(refusing.authorize({ authorization: 'Bearer a.b.c' })).resolves.toEqual({
      allowed: false,
      code: 'token_expired',
      reason: 'The bearer token has expired.',
    });
    const failing = await setup(async () => {
      throw new IssuerUnavailableError('down');
    });
    await expect(failing.authorize({ authorization: 'Bearer a.b.c' })).rejects.toBeInstanceOf(
      IssuerUnavailableError,
    );
  });

  it('reads the key values only for a credential worth checking', async () => {
    let loads = 0;
    const authorize = createCallerAuthorizer({
      tenants,
      keys: async () => {
        loads += 1;
        return keys;
      },
    });
    await authorize({});
    await authorize({ authorization: 'Basic x' });
    await authorize({ authorization: 'Bearer a.b.c' });
    expect(loads).toBe(0);
    await authorize({ apiKey: 'web-key-0123456789abcdef' });
    expect(loads).toBe(1);
  });

  it('takes API keys only when no issuer is configured', async () => {
    const authorize = createCallerAuthorizer({ tenants, keys: async () => keys });
    await expect(authorize({ authorization: 'Bearer a.b.c' })).resolves.toMatchObject({
      allowed: false,
      code: 'invalid_token',
    });
    await expect(authorize({ apiKey: 'web-key-0123456789abcdef' })).resolves.toMatchObject({ allowed: true });
  });

  it('gives reasons API Gateway can put in a JSON template unescaped', async () => {
    const { authorize, bearer } = await setup();
    const decisions = await Promise.all([
      authorize({}),
      authorize({ apiKey: 'x' }),
      authorize({ apiKey: 'app-key-0123456789abcdef' }),
      authorize({ authorization: 'Basic x' }),
      authorize({ authorization: await bearer('nobody') }),
      authorize({ authorization: await bearer('app'), apiKey: 'web-key-0123456789abcdef' }),
    ]);
    for (const decision of decisions) {
      expect(decision.allowed).toBe(false);
      if (!decision.allowed) expect(decision.reason).toMatch(/^[^"\\]+$/);
    }
  });
});
