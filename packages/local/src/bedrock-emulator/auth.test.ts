import { describe, expect, it } from 'vitest';
import { regionFromAuthorization } from './auth.js';
import { EmulatedServiceError } from './errors.js';

function errorTypeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof EmulatedServiceError ? error.errorType : 'unexpected';
  }
}

describe('regionFromAuthorization', () => {
  it('reads the region from the SigV4 credential scope, HTTP/2 pseudo-headers included', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKID/20261122/ap-northeast-1/bedrock/aws4_request, ' +
      'SignedHeaders=:authority;content-type;host;x-amz-date, Signature=0123abcd';

    expect(regionFromAuthorization(header)).toBe('ap-northeast-1');
  });

  it('answers a missing header with MissingAuthenticationTokenException', () => {
    expect(errorTypeOf(() => regionFromAuthorization(undefined))).toBe('MissingAuthenticationTokenException');
  });

  it('answers a header that is not SigV4 with UnrecognizedClientException', () => {
    expect(errorTypeOf(() => regionFromAuthorization('Basic dXNlcjpwYXNz'))).toBe(
      'UnrecognizedClientException',
    );
    expect(
      errorTypeOf(() => regionFromAuthorization('AWS4-HMAC-SHA256 Credential=AKID/ap-northeast-1/bedrock')),
    ).toBe('UnrecognizedClientException');
  });
});
