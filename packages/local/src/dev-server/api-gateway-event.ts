import type { IncomingMessage } from 'node:http';
import { principalOf } from '@mangaassist/auth';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { LocalCaller } from './lambda-routes.js';
import { parseRequestTarget } from './request-target.js';

/**
 * The Lambda proxy event API Gateway REST would send for this request, so `pnpm dev` runs the
 * deployed handler unchanged. The body travels base64-encoded so its exact bytes arrive (API
 * Gateway does the same for binary media types).
 */
export function toApiGatewayEvent(
  request: IncomingMessage,
  path: string,
  body: Buffer,
  context: { requestId: string; caller?: LocalCaller; stage: string },
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] ?? '';
    const value = request.rawHeaders[index + 1] ?? '';
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const searchParams = parseRequestTarget(request.url)?.searchParams;
  const names = searchParams ? [...new Set(searchParams.keys())] : [];
  // As API Gateway: the last value of a repeated parameter, and every value in the multi-value map.
  const query = searchParams && names.length > 0 ? Object.fromEntries(searchParams) : null;
  const multiValueQuery =
    searchParams && names.length > 0
      ? Object.fromEntries(names.map((name) => [name, searchParams.getAll(name)]))
      : null;
  const { caller } = context;
  const now = new Date();
  return {
    resource: path,
    path,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiValueQuery,
    pathParameters: null,
    stageVariables: null,
    body: body.toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      // As the Lambda authorizer's result: its principal and context.
      authorizer: caller
        ? {
            principalId: principalOf(caller),
            tenantId: caller.tenantId,
            ...(caller.subject ? { subject: caller.subject } : {}),
          }
        : null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? 'GET',
      path: `/${context.stage}${path}`,
      stage: context.stage,
      requestId: context.requestId,
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: caller?.apiKeyId ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}
