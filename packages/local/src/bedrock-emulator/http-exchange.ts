import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { EmulatedServiceError } from './errors.js';

/**
 * What the emulator needs from a request; both `http.IncomingMessage` and the HTTP/2 compat
 * `Http2ServerRequest` satisfy it, so one handler serves both protocols.
 */
export interface RequestSource extends AsyncIterable<Buffer | string> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
}

/** What the emulator needs from a response (`http.ServerResponse` or `Http2ServerResponse`). */
export interface ResponseSink extends EventEmitter {
  writeHead(statusCode: number, headers: OutgoingHttpHeaders): unknown;
  /** Only HTTP/1 has it; HTTP/2 sends the headers with `writeHead`. */
  flushHeaders?(): void;
  write(chunk: Uint8Array): boolean;
  end(chunk?: Uint8Array | string): unknown;
  readonly writableEnded: boolean;
  readonly headersSent: boolean;
}

// Bedrock's payload ceiling is model-specific; this only keeps a runaway client from exhausting memory.
const maxBodyBytes = 20 * 1024 * 1024;

/** Reads the whole request body; a body over 20 MiB is a ValidationException. */
export async function readBody(request: RequestSource): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > maxBodyBytes) throw new EmulatedServiceError('ValidationException', 'Input is too long.');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; anything else is the ValidationException Bedrock gives for malformed input. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new EmulatedServiceError(
      'ValidationException',
      'Malformed input request: the body is not valid JSON, please reformat your input and try again.',
    );
  }
}

export function sendJson(
  response: ResponseSink,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': bytes.length,
    ...headers,
  });
  response.end(bytes);
}

/** Writes an error the way the SDK's REST-JSON protocol parses it: status, `x-amzn-errortype`, `{message}`. */
export function sendError(response: ResponseSink, error: EmulatedServiceError, requestId: string): void {
  sendJson(
    response,
    error.status,
    { message: error.message },
    { 'x-amzn-errortype': error.errorType, 'x-amzn-requestid': requestId },
  );
}
