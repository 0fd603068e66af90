import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CallerAuthorizer, Credentials } from '../callers.js';
import { makeRequestAuthorizer } from './request-authorizer.js';

const methodArn = 'arn:aws:execute-api:ap-northeast-1:123456789012:abc123/prod/POST/v1/chat';

const policy = (effect: string) => ({
  Version: '2012-10-17',
  Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
});

function event(headers: Record<string, string> | null): APIGatewayRequestAuthorizerEvent {
  return { type: 'REQUEST', methodArn, headers } as APIGatewayRequestAuthorizerEvent;
}

describe('makeRequestAuthorizer', () => {
  it('reads both headers whatever their case, and allows the method with the key to meter by', async () => {
    const seen: Credentials[] = [];
    const authorize: CallerAuthorizer = async (credentials) => {
      seen.push(credentials);
      return { allowed: true, tenantId: 'app', usageKey: 'app-key', subject: 'user-7' };
    };
    const result = await makeRequestAuthorizer(authorize)(
      event({ Authorization: 'Bearer t', 'X-Api-Key': 'app-key' }),
    );
    expect(seen).toEqual([{ authorization: 'Bearer t', apiKey: 'app-key' }]);
    expect(result).toEqual({
      principalId: 'user-7',
      policyDocument: policy('Allow'),
      context: { tenantId: 'app', subject: 'user-7' },
      usageIdentifierKey: 'app-key',
    });
  });

  it("names a key's caller by its tenant", async () => {
    const result = await makeRequestAuthorizer(async () => ({
      allowed: true,
      tenantId: 'web',
      usageKey: 'k',
    }))(event(null));
    expect(result).toMatchObject({ principalId: 'tenant:web', context: { tenantId: 'web' } });
  });

  it('denies with the code and reason the gateway response renders', async () => {
    const result = await makeRequestAuthorizer(async () => ({
      allowed: false,
      code: 'token_expired',
      reason: 'The bearer token has expired.',
    }))(event({}));
    expect(result).toEqual({
      principalId: 'anonymous',
      policyDocument: policy('Deny'),
      context: { code: 'token_expired', reason: 'The bearer token has expired.' },
    });
  });

  it('throws when the caller cannot be decided, so API Gateway answers 503 rather than a 401', async () => {
    const failing = makeRequestAuthorizer(async () => {
      throw new Error('issuer down');
    });
    await expect(failing(event({ authorization: 'Bearer t' }))).rejects.toThrow('issuer down');
  });
});
