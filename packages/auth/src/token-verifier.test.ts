import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLocalTokenIssuer } from './local/local-token-issuer.js';
import { createTokenVerifier, IssuerUnavailableError } from './token-verifier.js';

const trusted = {
  issuer: 'https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_pool',
  audience: ['app-client'],
  tenantClaim: 'custom:tenant',
};

async function setup() {
  const issuer = await createLocalTokenIssuer(trusted);
  return { issuer, verify: createTokenVerifier(trusted, issuer.keys) };
}

/** A token signed by a key of the test's own, with exactly the claims given. */
async function signed(claims: Record<string, unknown>, alg = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg }] };
  const token = await new SignJWT(claims).setProtectedHeader({ alg, kid: 'k1' }).sign(privateKey);
  return { token, keys: createLocalJWKSet(jwks) };
}

const now = () => Math.floor(Date.now() / 1000);

describe('createTokenVerifier', () => {
  it("takes the issuer's token: its subject and the tenant its claim names", async () => {
    const { issuer, verify } = await setup();
    const { token } = await issuer.issue({ tenantId: 'manga-store-app', subject: 'user-1' });
    await expect(verify(token)).resolves.toEqual({
      valid: true,
      subject: 'user-1',
      tenantId: 'manga-store-app',
    });
  });

  it('refuses an expired token as expired, and takes one within the 5 s of clock skew', async () => {
    const { issuer, verify } = await setup();
    const expired = await issuer.issue({ tenantId: 't', expiresInSeconds: -10 });
    await expect(verify(expired.token)).resolves.toMatchObject({ valid: false, code: 'token_expired' });
    const justExpired = await issuer.issue({ tenantId: 't', expiresInSeconds: -2 });
    await expect(verify(justExpired.token)).resolves.toMatchObject({ valid: true });
  });

  it("refuses a foreign issuer's token without fetching keys for it", async () => {
    const { verify } = await setup();
    const { token } = await signed({
      iss: 'https://evil.example',
      aud: 'app-client',
      sub: 'u',
      exp: now() + 60,
    });
    await expect(verify(token)).resolves.toMatchObject({ valid: false, code: 'untrusted_issuer' });
  });

  it('refuses a token that claims the issuer but is signed by another key', async () => {
    const { verify } = await setup();
    const { token } = await signed({
      iss: trusted.issuer,
      aud: 'app-client',
      sub: 'u',
      exp: now() + 60,
      'custom:tenant': 't',
    });
    await expect(verify(token)).resolves.toMatchObject({ valid: false, code: 'invalid_token' });
  });

  it('refuses a token whose signature was tampered with', async () => {
    const { issuer, verify } = await setup();
    const { token } = await issuer.issue({ tenantId: 'a' });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decode(token), 'custom:tenant': 'b' })).toString(
      'base64url',
    );
    await expect(verify(`${header}.${forged}.${signature}`)).resolves.toMatchObject({
      valid: false,
      code: 'invalid_token',
    });
  });

  it('refuses what is not a JWT, and an unsigned (alg none) token', async () => {
    const { verify } = await setup();
    await expect(verify('not-a-jwt')).resolves.toMatchObject({ valid: false, code: 'invalid_token' });
    const payload = Buffer.from(
      JSON.stringify({
        iss: trusted.issuer,
        aud: 'app-client',
        sub: 'u',
        exp: now() + 60,
        'custom:tenant': 't',
      }),
    ).toString('base64url');
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    await expect(verify(`${header}.${payload}.`)).resolves.toMatchObject({
      valid: false,
      code: 'invalid_token',
    });
  });

  it('refuses a token for another client, and takes a Cognito access token by its client_id', async () => {
    const base = { iss: trusted.issuer, sub: 'u', exp: now() + 60, 'custom:tenant': 't' };
    const other = await signed({ ...base, aud: 'another-client' });
    const verifyOther = createTokenVerifier(trusted, other.keys);
    await expect(verifyOther(other.token)).resolves.toMatchObject({ valid: false, code: 'invalid_token' });
    const several = await signed({ ...base, aud: ['another-client', 'app-client'] });
    await expect(createTokenVerifier(trusted, several.keys)(several.token)).resolves.toMatchObject({
      valid: true,
    });
    const access = await signed({ ...base, client_id: 'app-client', token_use: 'access' });
    await expect(createTokenVerifier(trusted, access.keys)(access.token)).resolves.toMatchObject({
      valid: true,
      tenantId: 't',
    });
  });

  it('refuses a token without a subject, or one that is not a non-empty string, or naming no tenant', async () => {
    const base = { iss: trusted.issuer, aud: 'app-client', exp: now() + 60 };
    for (const sub of [undefined, '', 123, { id: 'u' }]) {
      const bad = await signed({ ...base, sub, 'custom:tenant': 't' });
      await expect(
        createTokenVerifier(trusted, bad.keys)(bad.token),
        JSON.stringify(sub),
      ).resolves.toMatchObject({
        valid: false,
        code: 'invalid_token',
      });
    }
    for (const tenant of [undefined, '', 42]) {
      const noTenant = await signed({ ...base, sub: 'u', 'custom:tenant': tenant });
      await expect(createTokenVerifier(trusted, noTenant.keys)(noTenant.token)).resolves.toMatchObject({
        valid: false,
        code: 'unknown_tenant',
      });
    }
  });

  it('refuses a token that never expires', async () => {
    const forever = await signed({ iss: trusted.issuer, aud: 'app-client', sub: 'u', 'custom:tenant': 't' });
    await expect(createTokenVerifier(trusted, forever.keys)(forever.token)).resolves.toMatchObject({
      valid: false,
      code: 'invalid_token',
    });
  });

  it('refuses, rather than failing on, a token whose parts are malformed or that needs an extension it lacks', async () => {
    const { issuer, verify } = await setup();
    const { token } = await issuer.issue({ tenantId: 't' });
    const [header, payload] = token.split('.');
    const critical = Buffer.from(
      JSON.stringify({ alg: 'ES256', crit: ['x-unknown'], 'x-unknown': 1 }),
    ).toString('base64url');
    for (const malformed of [
      `${header}.${payload}.!!!`,
      `${header}.${payload}`,
      `${critical}.${payload}.AAAA`,
    ]) {
      await expect(verify(malformed), malformed.slice(-12)).resolves.toMatchObject({
        valid: false,
        code: 'invalid_token',
      });
    }
  });

  it('judges the audience by aud when a token has one, whatever its client_id says', async () => {
    const both = await signed({
      iss: trusted.issuer,
      sub: 'u',
      exp: now() + 60,
      'custom:tenant': 't',
      aud: 'another-client',
      client_id: 'app-client',
    });
    await expect(createTokenVerifier(trusted, both.keys)(both.token)).resolves.toMatchObject({
      valid: false,
      code: 'invalid_token',
    });
  });

  it('refuses a token not valid yet (nbf) and an HMAC-signed one', async () => {
    const early = await signed({
      iss: trusted.issuer,
      aud: 'app-client',
      sub: 'u',
      exp: now() + 600,
      nbf: now() + 300,
    });
    await expect(createTokenVerifier(trusted, early.keys)(early.token)).resolves.toMatchObject({
      valid: false,
      code: 'invalid_token',
    });
    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
    const hmac = await new SignJWT({ iss: trusted.issuer, aud: 'app-client', sub: 'u', exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
    const keys: JWTVerifyGetKey = async () => secret;
    await expect(createTokenVerifier(trusted, keys)(hmac)).resolves.toMatchObject({
      valid: false,
      code: 'invalid_token',
    });
  });

  it('throws IssuerUnavailableError when the signing keys cannot be fetched, rather than calling the token bad', async () => {
    const { issuer } = await setup();
    const { token } = await issuer.issue({ tenantId: 't' });
    const unreachable: JWTVerifyGetKey = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(createTokenVerifier(trusted, unreachable)(token)).rejects.toBeInstanceOf(
      IssuerUnavailableError,
    );
  });

  it('needs an audience', () => {
    expect(() => createTokenVerifier({ ...trusted, audience: [] }, async () => new Uint8Array())).toThrow(
      /audience/,
    );
  });
});

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}
