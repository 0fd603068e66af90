import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { JsonErrorResponses } from '../../../lib/constructs/json-error-responses.js';
import { unitTestApp } from '../support.js';

interface GatewayResponseProperties {
  ResponseType: string;
  StatusCode?: string;
  ResponseTemplates: Record<string, string>;
}

function gatewayResponses(): GatewayResponseProperties[] {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  restApi.root.addMethod('GET', new MockIntegration());
  new JsonErrorResponses(stack, 'Errors', { restApi });
  return Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::GatewayResponse')).map(
    (resource) => (resource as { Properties: GatewayResponseProperties }).Properties,
  );
}

/** What API Gateway would send: `$context` variables substituted (messageString comes quoted). */
function render(template: string): unknown {
  return JSON.parse(
    template
      .replaceAll('$context.error.messageString', '"Forbidden"')
      .replaceAll('$context.error.validationErrorString', '[object has missing required properties]')
      .replaceAll('$context.authorizer.code', 'token_expired')
      .replaceAll('$context.authorizer.reason', 'The bearer token has expired.')
      .replaceAll('$context.requestId', 'c0ffee-1234'),
  );
}

describe('JsonErrorResponses', () => {
  it('answers a body that fails validation with the validation error in the JSON error body', () => {
    const badBody = gatewayResponses().find((response) => response.ResponseType === 'BAD_REQUEST_BODY');
    const template = badBody?.ResponseTemplates['application/json'] ?? '';
    expect(template).toContain('$context.error.validationErrorString');
    expect(render(template)).toEqual({
      error: {
        code: 'invalid_request',
        message: '[object has missing required properties]',
        request_id: 'c0ffee-1234',
      },
    });
  });

  it('renders every gateway error as the public JSON error body with the request id', () => {
    const responses = gatewayResponses();
    expect(responses.length).toBeGreaterThan(0);
    for (const response of responses) {
      expect(render(response.ResponseTemplates['application/json'] ?? '')).toEqual({
        error: {
          code: expect.stringMatching(/^[a-z_]+$/),
          message: expect.any(String),
          request_id: 'c0ffee-1234',
        },
      });
    }
  });

  it('covers throttling, quotas, integration timeouts and the 4XX and 5XX catch-alls', () => {
    const types = gatewayResponses().map((response) => response.ResponseType);
    expect(types).toEqual(
      expect.arrayContaining([
        'BAD_REQUEST_BODY',
        'THROTTLED',
        'QUOTA_EXCEEDED',
        'INTEGRATION_TIMEOUT',
        'DEFAULT_4XX',
        'DEFAULT_5XX',
      ]),
    );
  });

  it("answers the authorizer's deny with 401 and its code and reason, and its failure with a 503 to retry", () => {
    const byType = new Map(gatewayResponses().map((response) => [response.ResponseType, response]));
    const denied = byType.get('ACCESS_DENIED');
    expect(denied?.StatusCode).toBe('401');
    expect(render(denied?.ResponseTemplates['application/json'] ?? '')).toEqual({
      error: { code: 'token_expired', message: 'The bearer token has expired.', request_id: 'c0ffee-1234' },
    });
    // A throwing or timed-out authorizer is reported as either, depending on how it failed.
    for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      const failed = byType.get(type);
      expect(failed?.StatusCode, type).toBe('503');
      expect(render(failed?.ResponseTemplates['application/json'] ?? ''), type).toMatchObject({
        error: { code: 'auth_unavailable' },
      });
    }
  });

  it('answers an unknown route with 404 not_found instead of "Missing Authentication Token"', () => {
    const missing = gatewayResponses().find(
      (response) => response.ResponseType === 'MISSING_AUTHENTICATION_TOKEN',
    );
    expect(missing?.StatusCode).toBe('404');
    expect(render(missing?.ResponseTemplates['application/json'] ?? '')).toMatchObject({
      error: { code: 'not_found' },
    });
  });
});
