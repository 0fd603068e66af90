/**
 * Transport-neutral HTTP: the API's endpoints take and return these, so the same code answers
 * behind API Gateway (through the Lambda adapter) and in `pnpm dev` (through the local server).
 */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body bytes, exactly as received. */
  readonly body: Uint8Array;
  /**
   * The query string's parameters, each with every value it was given, in order (decoded).
   * @default {} - no query
   */
  readonly query?: Readonly<Record<string, readonly string[]>>;
  /** API Gateway's request id, or a new one locally. */
  readonly requestId: string;
  /** Who is calling: the API key's tenant; `anonymous` when the stage has no keys. */
  readonly tenantId: string;
  /**
   * What precedes `path` in the URL the client called: `/<stage>` on API Gateway's own domain,
   * nothing behind a custom domain or locally. Links the API hands out start with it.
   * @default ''
   */
  readonly basePath?: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type HttpEndpoint = (request: HttpRequest, signal?: AbortSignal) => Promise<HttpResponse>;

export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
}

/** A JSON response with the request id in the body and the `x-request-id` header. */
export function jsonResponse(
  statusCode: number,
  requestId: string,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, ...headers },
    body: JSON.stringify(body),
  };
}

/** The error body every endpoint uses: `{ error: { code, message, request_id, issues? } }`. */
export function errorResponse(
  statusCode: number,
  requestId: string,
  code: string,
  message: string,
  extra: { issues?: readonly ErrorIssue[]; headers?: Record<string, string> } = {},
): HttpResponse {
  return jsonResponse(
    statusCode,
    requestId,
    { error: { code, message, request_id: requestId, ...(extra.issues ? { issues: extra.issues } : {}) } },
    extra.headers,
  );
}
