import { type Logger, silentLogger } from '@mangaassist/commons';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errorResponse, type HttpEndpoint, type HttpRequest, type HttpResponse } from '../http.js';

/**
 * The transport-neutral request of a Lambda function URL event (payload format 2.0). The body
 * is the exact bytes sent: base64-decoded when Lambda encoded it (`isBase64Encoded`, for
 * content types it treats as binary), else the UTF-8 bytes of the text. Header names are lower
 * case (Lambda already sends them so; repeated headers arrive comma-joined). A function URL has
 * no API keys, so the tenant is `anonymous`.
 */
export function functionUrlToHttpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const body = event.body ?? '';
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    headers,
    body: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    requestId: event.requestContext.requestId,
    tenantId: 'anonymous',
  };
}

/** The function URL result of a response (a text body, never base64). */
export function toFunctionUrlResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.statusCode,
    headers: { ...response.headers },
    body: response.body,
    isBase64Encoded: false,
  };
}

export interface FunctionUrlHandlerOptions {
  /**
   * The endpoint's signal aborts this long before the invocation's time runs out, so the
   * endpoint can give up cleanly (release a claim, answer 503) instead of being killed mid-way.
   * @default 1_000
   */
  readonly timeoutMarginMs?: number;
  /** Work that must finish before Lambda freezes the environment (e.g. flushing events). */
  readonly afterResponse?: () => Promise<void>;
  /** Receives the stack of an error the endpoint threw. @default silentLogger */
  readonly logger?: Logger;
}

export type FunctionUrlHandler = (
  event: APIGatewayProxyEventV2,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Wraps a transport-neutral endpoint as a Lambda function URL handler. An error the endpoint
 * throws (it should not) is answered 500 with the JSON error body, never Lambda's bare 502.
 *
 * @example
 * export const handler = makeFunctionUrlHandler(makeWebhookRouter([receiver], { rootSource: 'stripe' }));
 */
export function makeFunctionUrlHandler(
  endpoint: HttpEndpoint,
  options: FunctionUrlHandlerOptions = {},
): FunctionUrlHandler {
  const marginMs = options.timeoutMarginMs ?? 1_000;
  const logger = options.logger ?? silentLogger;
  return async (event, context) => {
    const request = functionUrlToHttpRequest(event);
    const signal = context
      ? AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - marginMs))
      : undefined;
    try {
      return toFunctionUrlResult(await endpoint(request, signal));
    } catch (error) {
      logger.error('function URL endpoint failed', {
        requestId: request.requestId,
        error: error instanceof Error ? error.stack : String(error),
      });
      return toFunctionUrlResult(
        errorResponse(500, request.requestId, 'internal_error', 'Something went wrong on our side.'),
      );
    } finally {
      await options.afterResponse?.();
    }
  };
}
