import { errorResponse, type HttpResponse, type StreamingResponse, sseEvent } from '@mangaassist/http';

/** The error a stream cut by the server's shutdown ends with, and a request refused by it gets. */
export const shuttingDown = {
  code: 'server_shutting_down',
  message: 'This server is shutting down; send the request again (another server answers it).',
} as const;

const done = sseEvent('[DONE]');

/** The 503 a request the shutdown ends before its answer started gets. */
export function shutdownRefusal(requestId: string): HttpResponse {
  return errorResponse(503, requestId, shuttingDown.code, shuttingDown.message, {
    headers: { 'retry-after': '1' },
  });
}

/** A streaming response the server can end on the endpoint's behalf. */
export interface CuttableResponse extends StreamingResponse {
  /**
   * Ends the response now, whatever the endpoint is doing, and answers for it: a stream started
   * and not yet at `[DONE]` gets an error event (`server_shutting_down`) and `[DONE]`, as the SSE
   * contract ends every stream; a response not started gets a 503 JSON error. From then on the
   * endpoint's writes go nowhere. Resolves once the response is sent (or its client is gone).
   */
  cut(): Promise<void>;
}

/** Wraps the transport's response of one request so that a shutdown can `cut` it. */
export function cuttableResponse(response: StreamingResponse, requestId: string): CuttableResponse {
  let state: 'new' | 'streaming' | 'whole' | 'ended' | 'cut' = 'new';
  let sentDone = false;

  return {
    start(statusCode, headers) {
      if (state === 'cut') return;
      state = (headers['content-type'] ?? '').startsWith('text/event-stream') ? 'streaming' : 'whole';
      response.start(statusCode, headers);
    },
    async write(chunk) {
      if (state === 'cut' || state === 'ended') return;
      if (chunk === done) sentDone = true;
      await response.write(chunk);
    },
    async end() {
      if (state === 'cut' || state === 'ended') return;
      state = 'ended';
      await response.end();
    },
    async cut() {
      const was = state;
      if (was === 'cut' || was === 'ended') return;
      state = 'cut';
      if (was === 'new') {
        const refusal = shutdownRefusal(requestId);
        response.start(refusal.statusCode, refusal.headers);
        await response.write(refusal.body);
      } else if (was === 'streaming' && !sentDone) {
        await response.write(
          sseEvent({
            type: 'error',
            request_id: requestId,
            code: shuttingDown.code,
            message: shuttingDown.message,
          }),
        );
        await response.write(done);
      }
      await response.end();
    },
  };
}
