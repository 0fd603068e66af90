import type { IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * The local stand-in of API Gateway REST in front of Lambda proxy integrations: the API key
 * check (`apiKeyRequired`: 403 JSON without a valid `x-api-key`), the 10 MB payload limit (413)
 * and the proxy event, for a handler that answers whole (`proxy`) or streams (`streaming`).
 */
export function apiGatewayRoutes(keys: LocalApiKeys, stage: string) {
  function withApiKey(route: (context: RequestContext, apiKeyId: string) => Promise<void>): Route {
    return async (context) => {
      const key = context.request.headers['x-api-key'];
      const match = typeof key === 'string' ? keys.match(key) : undefined;
      if (!match) {
        context.request.resume();
        sendError(
          context.response,
          403,
          context.requestId,
          'invalid_api_key',
          'Forbidden: send a valid x-api-key.',
        );
        return;
      }
      await route(context, match.apiKeyId);
    };
  }

  async function proxyEvent({ request, response, path, requestId }: RequestContext, apiKeyId: string) {
    const body = await readRequestBody(request, maxRequestBytes);
    if (!body) {
      sendError(response, 413, requestId, 'payload_too_large', `The body exceeds ${maxRequestBytes} bytes.`);
      return undefined;
    }
    return toApiGatewayEvent(request, path, body, { requestId, apiKeyId, stage });
  }

  return {
    proxy(handler: ProxyHandler): Route {
      return withApiKey(async (context, apiKeyId) => {
        const event = await proxyEvent(context, apiKeyId);
        if (!event) return;
        const result = await handler(event);
        context.response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
        context.response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
      });
    },
    streaming(handler: StreamingLambdaHandler<APIGatewayProxyEvent>): Route {
      return withApiKey(async (context, apiKeyId) => {
        const event = await proxyEvent(context, apiKeyId);
        if (event) await serveStreamingLambda(handler, event, context.response);
      });
    },
  };
}
