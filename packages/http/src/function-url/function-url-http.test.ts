import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type HttpEndpoint, type HttpRequest, jsonResponse } from '../http.js';
import {
  functionUrlToHttpRequest,
  makeFunctionUrlHandler,
  toFunctionUrlResult,
} from './function-url-http.js';

/** A function URL event (payload format 2.0) as Lambda delivers it. */
function functionUrlEvent(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=ab' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnop',
      domainName: 'abcdefghijklmnop.lambda-url.ap-northeast-1.on.aws',
      domainPrefix: 'abcdefghijklmnop',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      },
      requestId: 'fn-url-request-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
    body: '{"id":"evt_1"}',
    isBase64Encoded: false,
    ...overrides,
  };
}

/** An endpoint that remembers the request it was given. */
function capturing(): {
  endpoint: HttpEndpoint;
  seen: () => HttpRequest | undefined;
  signal: () => AbortSignal | undefined;
} {
  let seen: HttpRequest | undefined;
  let seenSignal: AbortSignal | undefined;
  return {
    endpoint: async (request, signal) => {
      seen = request;
      seenSignal = signal;
      return jsonResponse(202, request.requestId, { ok: true }, { 'retry-after': '5' });
    },
    seen: () => seen,
    signal: () => seenSignal,
  };
}

describe('functionUrlToHttpRequest', () => {
  it('keeps the exact bytes of a base64-encoded body', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xe3, 0x81, 0x82, 0xff, 0x00, 0x22, 0x7d]);

    const request = functionUrlToHttpRequest(
      functionUrlEvent({ body: bytes.toString('base64'), isBase64Encoded: true }),
    );

    expect(Buffer.from(request.body).equals(bytes)).toBe(true);
  });

  it('takes a text body as its UTF-8 bytes', () => {
    const request = functionUrlToHttpRequest(functionUrlEvent({ body: '{"review_text":"最高"}' }));

    expect(Buffer.from(request.body).toString('utf8')).toBe('{"review_text":"最高"}');
  });

  it('reads method, path, lower-case headers and the request id', () => {
    const request = functionUrlToHttpRequest(
      functionUrlEvent({ rawPath: '/webhooks/stripe', headers: { 'Stripe-Signature': 't=1,v1=ab' } }),
    );

    expect(request).toMatchObject({
      method: 'POST',
      path: '/webhooks/stripe',
      headers: { 'stripe-signature': 't=1,v1=ab' },
      requestId: 'fn-url-request-1',
      tenantId: 'anonymous',
    });
  });

  it('gives an absent body as no bytes', () => {
    expect(functionUrlToHttpRequest(functionUrlEvent({ body: undefined })).body.byteLength).toBe(0);
  });
});

describe('makeFunctionUrlHandler', () => {
  it('answers with the endpoint response as a function URL result', async () => {
    const { endpoint } = capturing();

    const result = await makeFunctionUrlHandler(endpoint)(functionUrlEvent());

    expect(result).toEqual({
      statusCode: 202,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': 'fn-url-request-1',
        'retry-after': '5',
      },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });

  it('hands the endpoint a signal that aborts before the invocation runs out of time', async () => {
    const capture = capturing();

    await makeFunctionUrlHandler(capture.endpoint, { timeoutMarginMs: 1_000 })(functionUrlEvent(), {
      getRemainingTimeInMillis: () => 500,
    });

    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(capture.signal()?.aborted).toBe(true);
  });

  it('answers 500 JSON, not a bare Lambda error, when the endpoint throws', async () => {
    const result = await makeFunctionUrlHandler(async () => {
      throw new Error('bug');
    })(functionUrlEvent());

    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toEqual({
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side.',
        request_id: 'fn-url-request-1',
      },
    });
  });

  it('runs afterResponse before returning', async () => {
    const order: string[] = [];

    await makeFunctionUrlHandler(capturing().endpoint, {
      afterResponse: async () => {
        order.push('flushed');
      },
    })(functionUrlEvent());
    order.push('returned');

    expect(order).toEqual(['flushed', 'returned']);
  });

  it('converts a response without touching its body', () => {
    expect(toFunctionUrlResult({ statusCode: 200, headers: {}, body: 'ありがとう' }).body).toBe('ありがとう');
  });
});
