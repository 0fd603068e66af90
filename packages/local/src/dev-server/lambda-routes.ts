import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Admission, CallerAuthorizer } from '@mangaassist/auth';
import type { StreamingLambdaHandler } from '@mangaassist/http/api-gateway';
import { readRequestBody } from '@mangaassist/http/node';
import type { LocalApiKeys } from '@mangaassist/tenants';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { toApiGatewayEvent } from './api-gateway-event.js';
import { sendError } from './local-http.js';
import { serveStreamingLambda } from './streaming-lambda.js';

/** Largest request body the local server reads: API Gateway REST's payload limit. */
export const maxRequestBytes = 10 * 1024 * 1024;

/** One request as the local server routes it. */
export interface RequestContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly path: string;
  readonly requestId: string;
}

export type Route = (context: RequestContext) => Promise<void>;

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** An admitted caller, with the id of the key that meters it. */
export interface LocalCaller extends Admission {
  readonly apiKeyId: string;
}

/**
 * The local stand-in of API Gateway REST in front of Lambda proxy integrations: the caller
 * decided by the deployed authorizer's code (`authorize`: an end user's bearer token or a tenant
 * API key; 401 JSON with the reason otherwise), the 10 MB payload limit (413) and the proxy event,
 * with the key's id and the authorizer's context as API Gateway passes them, for a handler that
 * answers whole (`proxy`) or streams (`streaming`).
 */
export function apiGatewayRoutes(keys: LocalApiKeys, authorize: CallerAuthorizer, stage: string) {
  function withCaller(route: (context: RequestContext, caller: LocalCaller) => Promise<void>): Route {
    return async (context) => {
      const { headers } = context.request;
      const decision = await authorize({
        authorization: headers.authorization,
        apiKey: typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : undefined,
      });
      if (!decision.allowed) {
        context.request.resume();
        sendError(context.response, 401, context.requestId, decision.code, decision.reason);
        return;
      }
      const apiKeyId = keys.match(decision.usageKey)?.apiKeyId;
      if (apiKeyId === undefined) throw new Error(`No local key meters tenant ${decision.tenantId}.`);
      await route(context, { ...decision, apiKeyId });
    };
  }

  async function proxyEvent({ request, response, path, requestId }: RequestContext, caller: LocalCaller) {
    const body = await readRequestBody(request, maxRequestBytes);
    if (!body) {
      sendError(response, 413, requestId, 'payload_too_large', `The body exceeds ${maxRequestBytes} bytes.`);
      return undefined;
    }
    return toApiGatewayEvent(request, path, body, { requestId, caller, stage });
  }

  return {
    proxy(handler: ProxyHandler): Route {
      return withCaller(async (context, caller) => {
        const event = await proxyEvent(context, caller);
        if (!event) return;
        const result = await handler(event);
        context.response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
        context.response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
      });
    },
    streaming(handler: StreamingLambdaHandler<APIGatewayProxyEvent>): Route {
      return withCaller(async (context, caller) => {
        const event = await proxyEvent(context, caller);
        if (event) await serveStreamingLambda(handler, event, context.response);
      });
    },
  };
}
