import { ConfigurationError } from '@mangaassist/commons';
import { describe, expect, it } from 'vitest';
import { authorizerConfigFromEnvironment, jwksUrlOf } from './authorizer-platform.js';

const tenantsJson = JSON.stringify({ tenants: [{ id: 'web', name: 'Web' }], apiKeys: { 'id-web': 'web' } });

describe('authorizerConfigFromEnvironment', () => {
  it('reads the tenants and the issuer, with the Cognito tenant claim by default', () => {
    expect(
      authorizerConfigFromEnvironment({
        MANGA_ENV: 'prod',
        TENANTS_JSON: tenantsJson,
        AUTH_ISSUER: 'https://cognito-idp.ap-northeast-1.amazonaws.com/pool',
        AUTH_AUDIENCE: 'client-a, client-b',
      }),
    ).toEqual({
      stage: 'prod',
      tenantsJson,
      issuer: 'https://cognito-idp.ap-northeast-1.amazonaws.com/pool',
      audience: ['client-a', 'client-b'],
      tenantClaim: 'custom:tenant',
    });
  });

  it('refuses an issuer without an audience, a JWKS not on HTTPS, and missing tenants', () => {
    const base = { MANGA_ENV: 'prod', TENANTS_JSON: tenantsJson };
    expect(() => authorizerConfigFromEnvironment({ ...base, AUTH_ISSUER: 'https://issuer.example' })).toThrow(
      /AUTH_AUDIENCE must name the token audience/,
    );
    expect(() =>
      authorizerConfigFromEnvironment({
        ...base,
        AUTH_ISSUER: 'https://issuer.example',
        AUTH_AUDIENCE: 'a',
        AUTH_JWKS_URL: 'http://issuer.example/jwks',
      }),
    ).toThrow(ConfigurationError);
    expect(() => authorizerConfigFromEnvironment({ MANGA_ENV: 'prod' })).toThrow(/TENANTS_JSON/);
  });
});

describe('jwksUrlOf', () => {
  it("takes the configured keys URL, else Cognito's beside the issuer", () => {
    const pool = 'https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_pool';
    expect(jwksUrlOf({}, pool).href).toBe(`${pool}/.well-known/jwks.json`);
    expect(jwksUrlOf({}, `${pool}/`).href).toBe(`${pool}/.well-known/jwks.json`);
    expect(
      jwksUrlOf(
        { jwksUrl: 'https://example.okta.com/oauth2/default/v1/keys' },
        'https://example.okta.com/oauth2/default',
      ).href,
    ).toBe('https://example.okta.com/oauth2/default/v1/keys');
  });
});
