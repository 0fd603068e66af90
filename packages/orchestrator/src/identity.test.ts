import { describe, expect, it } from 'vitest';
import { apiGatewayIdentity, apiKeyIdentity, callingServiceIdentity } from './identity.js';

const refusalOf = (identification: ReturnType<ReturnType<typeof callingServiceIdentity>>) =>
  'refusal' in identification
    ? { status: identification.refusal.statusCode, body: JSON.parse(identification.refusal.body) }
    : undefined;

describe('apiGatewayIdentity', () => {
  const identify = apiGatewayIdentity((apiKeyId) => (apiKeyId === 'key-id-1' ? 'manga-store' : apiKeyId));

  it('counts the request to the tenant of the API key id API Gateway forwards', () => {
    expect(identify({ 'x-mangaassist-api-key-id': 'key-id-1' }, 'req-1')).toEqual({
      tenantId: 'manga-store',
    });
  });

  it('refuses a request that did not come through API Gateway with 403, as a missing key', () => {
    for (const headers of [{}, { 'x-mangaassist-api-key-id': '' }, { 'x-api-key': 'a-key-value' }]) {
      expect(refusalOf(identify(headers, 'req-2'))).toEqual({
        status: 403,
        body: { error: { code: 'invalid_api_key', message: expect.any(String), request_id: 'req-2' } },
      });
    }
  });
});

describe('apiKeyIdentity', () => {
  it('checks the x-api-key value itself', () => {
    const identify = apiKeyIdentity((value) => (value === 'secret' ? 'manga-store' : undefined));

    expect(identify({ 'x-api-key': 'secret' }, 'r')).toEqual({ tenantId: 'manga-store' });
    expect(refusalOf(identify({ 'x-api-key': 'guess' }, 'r'))?.status).toBe(403);
    expect(refusalOf(identify({}, 'r'))?.status).toBe(403);
  });
});

describe('callingServiceIdentity', () => {
  const identify = callingServiceIdentity();

  it('counts a named service as tenant svc-<name>', () => {
    expect(identify({ 'x-calling-service': 'recommender' }, 'r')).toEqual({ tenantId: 'svc-recommender' });
    expect(identify({ 'x-calling-service': `a${'b'.repeat(58)}` }, 'r')).toEqual({
      tenantId: `svc-a${'b'.repeat(58)}`,
    });
  });

  it('counts a request that names no service to the default one, as a sidecar serves one service', () => {
    const sidecar = callingServiceIdentity('catalog-api');

    expect(sidecar({}, 'r')).toEqual({ tenantId: 'svc-catalog-api' });
    expect(sidecar({ 'x-calling-service': 'batch-worker' }, 'r')).toEqual({ tenantId: 'svc-batch-worker' });
    expect(() => callingServiceIdentity('Not A Name')).toThrow(RangeError);
  });

  it.each([
    ['none', undefined],
    ['an empty name', ''],
    ['upper case', 'Recommender'],
    ['a leading digit', '1st-service'],
    ['a space', 'my service'],
    ['60 characters', `a${'b'.repeat(59)}`],
  ])('refuses %s with 400 calling_service_required', (_, name) => {
    const headers = name === undefined ? {} : { 'x-calling-service': name };
    expect(refusalOf(identify(headers, 'r'))).toMatchObject({
      status: 400,
      body: { error: { code: 'calling_service_required' } },
    });
  });
});
