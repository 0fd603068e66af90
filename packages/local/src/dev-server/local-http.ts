import type { ServerResponse } from 'node:http';

export function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function sendError(
  response: ServerResponse,
  statusCode: number,
  requestId: string,
  code: string,
  message: string,
  issues?: readonly { path: string; message: string }[],
): void {
  sendJson(
    response,
    statusCode,
    { error: { code, message, request_id: requestId, ...(issues ? { issues } : {}) } },
    // As API Gateway's own error responses (`JsonErrorResponses`): never cached.
    { 'x-request-id': requestId, 'cache-control': 'no-store' },
  );
}
