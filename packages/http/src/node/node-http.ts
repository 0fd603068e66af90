import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../http.js';
import type { StreamingResponse } from '../streaming-http.js';

/**
 * At most `limit` bytes of a request's body, or `undefined` as soon as it is larger: the rest is
 * read and thrown away (the socket stays usable), so the answer (a 413) reaches a client that is
 * still uploading. Rejects when the request fails (the client reset the connection).
 */
export function readRequestBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.byteLength;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    request.once('error', reject);
  });
}

/**
 * The transport-neutral request of a Node.js one: header names in lower case (repeated headers
 * joined with `, `, as HTTP allows), every value of each query parameter, the exact body bytes.
 */
export function toHttpRequest(
  request: IncomingMessage,
  body: Uint8Array,
  context: { readonly path: string; readonly requestId: string; readonly tenantId: string },
): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const search = new URL(request.url ?? '/', 'http://localhost').searchParams;
  const query: Record<string, string[]> = {};
  for (const name of new Set(search.keys())) query[name] = search.getAll(name);
  return {
    method: request.method ?? 'GET',
    path: context.path,
    headers,
    body,
    query,
    requestId: context.requestId,
    tenantId: context.tenantId,
  };
}

/** Writes a whole response, its length set. */
export function sendHttpResponse(response: ServerResponse, whole: HttpResponse): void {
  response.writeHead(whole.statusCode, {
    ...whole.headers,
    'content-length': String(Buffer.byteLength(whole.body)),
  });
  response.end(whole.body);
}

export interface NodeStreamingResponseOptions {
  /**
   * How long a write or the end may wait for a client that stays connected but takes nothing;
   * past it the response is cut and `onStall` called.
   */
  readonly stallTimeoutMs: number;
  /** Called once when a stalled client is cut: abort the endpoint's signal here. */
  readonly onStall: () => void;
}

/**
 * A `StreamingResponse` onto a Node.js `ServerResponse`: the status and headers are sent on
 * `start`, and each chunk is written through at once;
 * a write resolves when the socket takes more (`drain`), when the client is gone, or after
 * `stallTimeoutMs` (the response is then destroyed and `onStall` called). Never rejects.
 */
export function nodeStreamingResponse(
  response: ServerResponse,
  options: NodeStreamingResponseOptions,
): StreamingResponse {
  let ended = false;

  /** Resolves on `event`, on close, or after the stall bound (cutting the response). */
  const untilTaken = (event: 'drain' | 'finish') =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        response.off(event, done);
        response.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        response.destroy();
        options.onStall();
      }, options.stallTimeoutMs);
      response.once(event, done);
      response.once('close', done);
    });

  return {
    start(statusCode, headers) {
      if (response.headersSent) throw new Error('the response has started already');
      response.writeHead(statusCode, headers);
      // The status leaves now, before the first chunk, and each chunk as it is written.
      response.flushHeaders();
      response.socket?.setNoDelay(true);
    },
    async write(chunk) {
      if (ended || response.destroyed) return;
      if (response.write(chunk)) return;
      await untilTaken('drain');
    },
    async end() {
      if (ended) return;
      ended = true;
      if (response.destroyed) return;
      const finished = untilTaken('finish');
      response.end();
      await finished;
    },
  };
}
