import type { HttpRequest, HttpResponse } from './http.js';

/**
 * Where a streaming endpoint writes its answer: the Lambda response stream when deployed, a
 * Node.js `ServerResponse` locally. Writes leave at once (no buffering by the endpoint).
 */
export interface StreamingResponse {
  /** Sets the status and headers; called once, before the first `write`. */
  start(statusCode: number, headers: Readonly<Record<string, string>>): void;
  /**
   * Sends a chunk. Resolves when the transport can take more (at once, or on `drain`), when
   * the client is gone, or when the transport gave up on a client that stopped reading (it then
   * aborts the endpoint's `signal`): it never rejects, never waits for a client that left, and
   * never waits without bound for one that stays connected but takes nothing.
   */
  write(chunk: string): Promise<void>;
  /**
   * Ends the response (idempotent); resolves when it is flushed, when the client is gone, or
   * when the transport's stall bound ran out (the response is then cut).
   */
  end(): Promise<void>;
}

/**
 * A transport-neutral streaming endpoint; `signal` aborts when the client goes away, or stops
 * reading for longer than the transport's stall bound (a `TimeoutError` reason).
 */
export type StreamingHttpEndpoint = (
  request: HttpRequest,
  response: StreamingResponse,
  signal?: AbortSignal,
) => Promise<void>;

/** One Server-Sent Event carrying `data` (JSON, or the `[DONE]` marker as is). */
export function sseEvent(data: unknown): string {
  // JSON.stringify escapes CR and LF, so every payload stays one `data:` line.
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by every SSE client, keeps idle connections and proxies open. */
export const sseKeepAlive = ': keep-alive\n\n';

/** The headers of a stream: no caching, no transformation by proxies, the request id. */
export function sseHeaders(requestId: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': requestId,
  };
}

/** Writes a whole (non-streamed) response: used for every answer sent before the stream starts. */
export async function sendWholeResponse(response: StreamingResponse, whole: HttpResponse): Promise<void> {
  response.start(whole.statusCode, whole.headers);
  await response.write(whole.body);
  await response.end();
}
