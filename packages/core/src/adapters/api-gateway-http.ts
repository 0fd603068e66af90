import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { HttpEndpoint, HttpRequest, HttpResponse } from '../api/http.js';

/** The transport-neutral request of an API Gateway REST (Lambda proxy) event. */
export function toHttpRequest(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const body = event.body ?? '';
  return {
    method: event.httpMethod,
    path: event.path,
    headers,
    body: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    requestId: event.requestContext.requestId,
    tenantId: event.requestContext.identity?.apiKeyId ?? 'anonymous',
  };
}

export function toProxyResult(response: HttpResponse): APIGatewayProxyResult {
  return { statusCode: response.statusCode, headers: { ...response.headers }, body: response.body };
}

export interface ApiGatewayHandlerOptions {
  /** Work that must finish before Lambda freezes the environment (e.g. publishing events). */
  readonly afterResponse?: () => Promise<void>;
}

/** Wraps a transport-neutral endpoint as an API Gateway REST (Lambda proxy) handler. */
export function makeApiGatewayHandler(
  endpoint: HttpEndpoint,
  options: ApiGatewayHandlerOptions = {},
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    try {
      return toProxyResult(await endpoint(toHttpRequest(event)));
    } finally {
      await options.afterResponse?.();
    }
  };
}
