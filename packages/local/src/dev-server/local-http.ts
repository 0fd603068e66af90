import type { IncomingMessage, ServerResponse } from 'node:http';

/** Read at most `limit` bytes of a request body; undefined when the body is larger. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      request.resume(); // drain the rest so the connection can answer
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

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
    { 'x-request-id': requestId },
  );
}
