// End users' tokens on `pnpm dev`: issued at `/_local/tokens`, verified by the deployed
// authorizer's code, and the tenant taken from the token.
import { chatResponseSchema } from '@mangaassist/contracts';
import { createLocalJWKSet, generateKeyPair, type JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { useDevServer } from './support.js';

const dev = useDevServer();

async function token(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${dev().url}/_local/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  const issued = (await response.json()) as { token: string; token_type: string };
  expect(issued.token_type).toBe('Bearer');
  return issued.token;
}

async function keyOf(tenant: string): Promise<string> {
  const listed = (await (await fetch(`${dev().url}/_local/api-keys`)).json()) as {
    keys: { tenant: string; key: string }[];
  };
  return listed.keys.find((entry) => entry.tenant === tenant)?.key ?? '';
}

const chat = (headers: Record<string, string>) =>
  fetch(`${dev().url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'おすすめの漫画は？' }] }),
  });

async function refusal(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message).not.toBe('');
  return body.error.code;
}

describe('end user tokens on pnpm dev', () => {
  it('answers a bearer token of the local issuer, for the tenant its claim names', async () => {
    const bearer = await token({ tenant: 'dev-mobile-app', subject: 'reader-1' });
    const response = await chat({ authorization: `Bearer ${bearer}` });
    expect(response.status).toBe(200);
    chatResponseSchema.parse(await response.json());
  });

  it("refuses the mobile app's key on its own, as that key ships inside the app", async () => {
    expect(await refusal(await chat({ 'x-api-key': await keyOf('dev-mobile-app') }))).toBe(
      'user_token_required',
    );
  });

  it('refuses expired, tampered and foreign-issuer tokens, and a token with another tenant key, with 401 reasons', async () => {
    const expired = await token({ tenant: 'dev-mobile-app', expires_in_seconds: -60 });
    expect(await refusal(await chat({ authorization: `Bearer ${expired}` }))).toBe('token_expired');

    const good = await token({ tenant: 'dev-small-shop' });
    const [header, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, 'custom:tenant': 'dev-load-test' })).toString(
      'base64url',
    );
    expect(await refusal(await chat({ authorization: `Bearer ${header}.${forged}.${signature}` }))).toBe(
      'invalid_token',
    );

    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ ...claims, iss: 'https://issuer.example' })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(privateKey);
    expect(await refusal(await chat({ authorization: `Bearer ${foreign}` }))).toBe('untrusted_issuer');

    const mismatched = { authorization: `Bearer ${good}`, 'x-api-key': await keyOf('dev-manga-store') };
    expect(await refusal(await chat(mismatched))).toBe('tenant_mismatch');
    expect(await refusal(await chat({ authorization: 'Basic dXNlcjpwYXNz' }))).toBe('invalid_token');
  });

  it('keeps a token caller’s jobs to its tenant: the tenant comes from the token', async () => {
    const bearer = { authorization: `Bearer ${await token({ tenant: 'dev-mobile-app' })}` };
    const created = await fetch(`${dev().url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer },
      body: JSON.stringify({ type: 'summarize', document: { text: '短い文。' } }),
    });
    expect(created.status).toBe(202);
    const { job_id } = (await created.json()) as { job_id: string };
    const own = await fetch(`${dev().url}/v1/jobs/${job_id}`, { headers: bearer });
    expect(own.status).toBe(200);
    const other = await fetch(`${dev().url}/v1/jobs/${job_id}`, { headers: { 'x-api-key': dev().apiKey } });
    expect(other.status).toBe(404);
  });

  it('publishes the signing key, so any JWT library verifies the local tokens', async () => {
    const jwks = (await (await fetch(`${dev().url}/_local/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(await token({ tenant: 'dev-manga-store' }), createLocalJWKSet(jwks), {
      issuer: 'urn:mangaassist:local',
      audience: 'mangaassist-local',
    });
    expect(payload).toMatchObject({ 'custom:tenant': 'dev-manga-store', sub: 'local-user' });
  });

  it('refuses a token for a tenant that does not exist, and a malformed request, with 400', async () => {
    const cases = [{ tenant: 'nobody' }, { tenant: 'dev-manga-store', expires_in_seconds: 10 ** 9 }, {}];
    for (const body of cases) {
      const response = await fetch(`${dev().url}/_local/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });
});
