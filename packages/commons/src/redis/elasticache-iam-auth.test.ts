import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { elasticacheIamAuth } from './elasticache-iam-auth.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+with=odd chars',
};
const signingDate = new Date('2026-12-07T12:34:56Z');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const encode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4's query signature of `token`, computed here from the specification, independently. */
function expectedSignature(token: string, region: string): string {
  const [host, query = ''] = token.split('/?');
  const parameters = [...new URLSearchParams(query)].filter(([name]) => name !== 'X-Amz-Signature');
  const canonicalQuery = parameters
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', sha256('')].join('\n');
  const day = '20261207';
  const scope = `${day}/${region}/elasticache/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', '20261207T123456Z', scope, sha256(canonicalRequest)].join('\n');
  const key = ['elasticache', 'aws4_request'].reduce(
    (signing, part) => hmac(signing, part),
    hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region),
  );
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('elasticacheIamAuth', () => {
  const auth = elasticacheIamAuth({
    cacheName: 'mangaassist-prod',
    userId: 'mangaassist-prod-app',
    region: 'ap-northeast-1',
    credentials: async () => credentials,
    now: () => signingDate,
  });

  it('authenticates as the user with a presigned connect request to the serverless cache, valid 15 minutes', async () => {
    const { username, password } = await auth();
    expect(username).toBe('mangaassist-prod-app');
    expect(password.startsWith('mangaassist-prod/?')).toBe(true);
    const query = new URLSearchParams(password.split('/?')[1]);
    expect(Object.fromEntries(query)).toMatchObject({
      Action: 'connect',
      User: 'mangaassist-prod-app',
      ResourceType: 'ServerlessCache',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261207/ap-northeast-1/elasticache/aws4_request',
      'X-Amz-Date': '20261207T123456Z',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Security-Token': credentials.sessionToken,
    });
  });

  it('signs as SigV4 says, to the byte (computed here independently)', async () => {
    const { password } = await auth();
    const signature = new URLSearchParams(password.split('/?')[1]).get('X-Amz-Signature');
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signature).toBe(expectedSignature(password, 'ap-northeast-1'));
  });

  it('makes a new token from the current credentials each time', async () => {
    let rotation = 0;
    const rotating = elasticacheIamAuth({
      cacheName: 'mangaassist-prod',
      userId: 'mangaassist-prod-app',
      region: 'ap-northeast-1',
      credentials: async () => ({ ...credentials, accessKeyId: `AKID${++rotation}` }),
      now: () => signingDate,
    });
    const [first, second] = [await rotating(), await rotating()];
    expect(first.password).toContain('Credential=AKID1%2F');
    expect(second.password).toContain('Credential=AKID2%2F');
  });
});
