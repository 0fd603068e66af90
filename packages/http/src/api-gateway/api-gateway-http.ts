import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { HttpEndpoint, HttpRequest, HttpResponse } from '../http.js';

/** Maps the API key API Gateway accepted (its id) to the tenant it belongs to. */
export type TenantResolver = (apiKeyId: string | undefined) => string;

/** Without a tenant directory the key id itself is the tenant; no key at all is `anonymous`. */
export const tenantByKeyId: TenantResolver = (apiKeyId) => apiKeyId ?? 'anonymous';

/** The transport-neutral request of an API Gateway REST (Lambda proxy) event. */
export function toHttpRequest(
  event: APIGatewayProxyEvent,
  resolveTenant: TenantResolver = tenantByKeyId,
): HttpRequest {
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
    query: queryOf(event),
    requestId: event.requestContext.requestId,
    tenantId: resolveTenant(event.requestContext.identity?.apiKeyId ?? undefined),
    basePath: basePathOf(event),
  };
}

/** Every value of each query parameter: API Gateway's multi-value map, else its single-value one. */
function queryOf(event: APIGatewayProxyEvent): Record<string, readonly string[]> {
  // No prototype: a parameter named `__proto__` or `constructor` is a parameter like any other.
  const query: Record<string, readonly string[]> = Object.create(null);
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined) query[name] = [...values];
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !Object.hasOwn(query, name)) query[name] = [value];
  }
  return query;
}

/** `/<stage>` when the client called API Gateway's own `execute-api` domain, else nothing. */
function basePathOf(event: APIGatewayProxyEvent): string {
  const domain = event.requestContext.domainName ?? event.headers?.Host ?? event.headers?.host ?? '';
  return /\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(domain)
    ? `/${event.requestContext.stage}`
    : '';
}

export function toProxyResult(response: HttpResponse): APIGatewayProxyResult {
  return { statusCode: response.statusCode, headers: { ...response.headers }, body: response.body };
}

export interface ApiGatewayHandlerOptions {
  /** @default tenantByKeyId */
  readonly resolveTenant?: TenantResolver;
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
      const request = toHttpRequest(event, options.resolveTenant);
      // Every subsegment of the request's work says whose it was (`@mangaassist/commons/tracing`).
      return toProxyResult(await withTraceAnnotations({ tenant: request.tenantId }, () => endpoint(request)));
    } finally {
      await options.afterResponse?.();
    }
  };
}
