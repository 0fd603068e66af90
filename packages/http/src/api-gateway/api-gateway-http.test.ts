import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { HttpRequest } from '../http.js';
import { makeApiGatewayHandler, toHttpRequest } from './api-gateway-http.js';

function proxyEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/chat',
    headers: { 'Content-Type': 'application/json' },
    body: '{"a":1}',
    isBase64Encoded: false,
    requestContext: { requestId: 'api-req-1', identity: { apiKeyId: 'key-123' } },
    ...overrides,
  } as APIGatewayProxyEvent;
}

describe('API Gateway proxy adapter', () => {
  it('lower-cases header names and carries the request id and API key as tenant', () => {
    const request = toHttpRequest(proxyEvent());
    expect(request).toMatchObject({
      headers: { 'content-type': 'application/json' },
      requestId: 'api-req-1',
      tenantId: 'key-123',
    });
    expect(new TextDecoder().decode(request.body)).toBe('{"a":1}');
  });

  it('says the stage precedes the path on API Gateway’s own domain, and nothing behind a custom one', () => {
    const context = (domainName: string) =>
      proxyEvent({
        requestContext: {
          requestId: 'r',
          stage: 'prod',
          domainName,
        } as APIGatewayProxyEvent['requestContext'],
      });
    expect(toHttpRequest(context('abc123.execute-api.ap-northeast-1.amazonaws.com')).basePath).toBe('/prod');
    expect(toHttpRequest(context('api.mangaassist.example')).basePath).toBe('');
    expect(toHttpRequest(proxyEvent()).basePath).toBe('');
  });

  it('carries every value of each query parameter, from the multi-value map when there is one', () => {
    expect(toHttpRequest(proxyEvent()).query).toEqual({});
    expect(
      toHttpRequest(
        proxyEvent({
          queryStringParameters: { segment: 'seinen', page: '2' },
          multiValueQueryStringParameters: { segment: ['shonen', 'seinen'] },
        }),
      ).query,
    ).toEqual({ segment: ['shonen', 'seinen'], page: ['2'] });
  });

  it('carries parameters named like Object’s own properties as parameters', () => {
    const query = toHttpRequest(
      proxyEvent({
        // Own properties, as API Gateway's JSON event holds them (a literal `__proto__:` would not be).
        queryStringParameters: Object.fromEntries([
          ['__proto__', 'x'],
          ['constructor', 'y'],
          ['toString', 'z'],
        ]),
      }),
    ).query;
    expect(Object.entries(query ?? {})).toEqual([
      ['__proto__', ['x']],
      ['constructor', ['y']],
      ['toString', ['z']],
    ]);
  });

  it('decodes a base64 body to its exact bytes', () => {
    const bytes = toHttpRequest(
      proxyEvent({ body: Buffer.from([0xff, 0x00]).toString('base64'), isBase64Encoded: true }),
    ).body;
    expect([...bytes]).toEqual([0xff, 0x00]);
  });

  it('runs the after-response work before returning', async () => {
    const seen: HttpRequest[] = [];
    const afterResponse = vi.fn(async () => {});
    const handler = makeApiGatewayHandler(
      async (request) => {
        seen.push(request);
        return { statusCode: 201, headers: { 'x-request-id': request.requestId }, body: '{}' };
      },
      { afterResponse },
    );
    await expect(handler(proxyEvent())).resolves.toEqual({
      statusCode: 201,
      headers: { 'x-request-id': 'api-req-1' },
      body: '{}',
    });
    expect(afterResponse).toHaveBeenCalledOnce();
    expect(seen).toHaveLength(1);
  });

  it("runs the endpoint with the caller's tenant as the trace annotation of all its work", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const inScope: unknown[] = [];
    const handler = makeApiGatewayHandler(async () => {
      await Promise.resolve();
      inScope.push(traceAnnotations());
      return { statusCode: 200, headers: {}, body: '{}' };
    });
    await handler(proxyEvent());
    expect(inScope).toEqual([{ tenant: 'key-123' }]);
  });
});
