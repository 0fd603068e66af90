import { type Clock, type Logger, silentLogger, systemClock } from '@mangaassist/commons';
import { sseDone, type sseErrorSchema, type sseUsageSchema } from '@mangaassist/contracts';
import { StreamInterruptedError } from '@mangaassist/fm-gateway';
import {
  errorResponse,
  type HttpRequest,
  type StreamingHttpEndpoint,
  sendWholeResponse,
  sseEvent,
  sseHeaders,
  sseKeepAlive,
} from '@mangaassist/http';
import type * as z from 'zod/mini';
import type { ChatAnswer, ChatService, ChatStreamEvent } from '../chat-service.js';
import { type ParsedChatRequest, toChatResponse } from './chat-endpoint.js';
import { describeFailure, failureResponse } from './failure.js';

export interface ChatStreamEndpointOptions {
  /** The conversation (budget, session history, gateway); only `stream` is used. */
  readonly chat: Pick<ChatService, 'stream'>;
  /** The request parser `POST /v1/chat` uses (`makeChatRequestParser`), so bad input answers alike. */
  readonly parse: (request: HttpRequest) => ParsedChatRequest;
  /** Budget for the first token (retries, failover and fallback happen within it). @default 3000 (the chat SLA) */
  readonly firstTokenDeadlineMs?: number;
  /** A `: keep-alive` comment after this long without an event, once streaming. `0` turns it off. @default 15000 */
  readonly keepAliveMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** The usage event, as `sseUsageSchema` describes it. */
export type SseUsageEvent = z.output<typeof sseUsageSchema>;
/** The error event, as `sseErrorSchema` describes it. */
export type SseErrorEvent = z.output<typeof sseErrorSchema>;

/** The usage event for a finished answer (same fields and units as `ChatResponse`). */
export function toSseUsageEvent(result: ChatAnswer, sessionId?: string): SseUsageEvent {
  const answer = toChatResponse(result, sessionId);
  return {
    type: 'usage',
    request_id: answer.request_id,
    stop_reason: answer.stop_reason,
    usage: answer.usage,
    model: answer.model,
    model_id: answer.model_id,
    region: answer.region,
    cost_usd: answer.cost_usd,
    latency_ms: answer.latency_ms,
    ...(result.ttftMs !== undefined ? { ttft_ms: Math.round(result.ttftMs) } : {}),
    cached: answer.cached,
    degraded: answer.degraded,
    ...(answer.guardrail ? { guardrail: answer.guardrail } : {}),
    ...(answer.session_id !== undefined ? { session_id: answer.session_id } : {}),
    ...(answer.stored !== undefined ? { stored: answer.stored } : {}),
    ...(answer.citations ? { citations: answer.citations } : {}),
  };
}

type Next = IteratorResult<ChatStreamEvent>;

/**
 * `POST /v1/chat/stream`: the chat answer as Server-Sent Events, each token written as soon as
 * the model sends it.
 *
 * Nothing is sent until the first event is known, so every failure before the first token is
 * an ordinary JSON error with its status, exactly as `POST /v1/chat` answers it: bad input
 * 400/413/415/422, spent budget or throttling 429 (`Retry-After`), no model 503, first-token
 * deadline 504. Then: `200 text/event-stream`, a `data: {"text":…}` event per delta, one usage
 * event (`sseUsageSchema`), and `data: [DONE]`.
 *
 * A failure after the first token cannot change the status any more: it is sent as an error
 * event (`sseErrorSchema`; `stream_interrupted` when the model stream broke) followed by
 * `data: [DONE]` as the contract says, so a client reading to `[DONE]` always ends its read
 * and tells a broken answer from a whole one by the error event (there is no usage event).
 * When the client goes away (`signal`), the model stream is cancelled and nothing more is
 * written. While the stream is quiet for `keepAliveMs`, a `: keep-alive` comment is sent.
 */
export function makeChatStreamEndpoint(options: ChatStreamEndpointOptions): StreamingHttpEndpoint {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const keepAliveMs = options.keepAliveMs ?? 15_000;

  return async (request, response, signal) => {
    const { requestId } = request;
    const parsed = options.parse(request);
    if (!parsed.ok) {
      await sendWholeResponse(response, parsed.response);
      return;
    }
    const events = options.chat
      .stream(parsed.turn, {
        ...(signal ? { signal } : {}),
        deadlineMs: options.firstTokenDeadlineMs ?? 3000,
      })
      [Symbol.asyncIterator]();

    let next: Next;
    try {
      next = await events.next();
    } catch (error) {
      await sendWholeResponse(response, failureResponse(error, requestId, logger));
      return;
    }
    if (next.done) {
      logger.error('the chat stream ended without an event', { requestId });
      await sendWholeResponse(
        response,
        errorResponse(500, requestId, 'internal_error', 'Something went wrong on our side.'),
      );
      return;
    }

    response.start(200, sseHeaders(requestId));
    let finished = false;
    try {
      while (!next.done) {
        const event = next.value;
        if (event.type === 'delta') {
          await response.write(sseEvent({ text: event.text }));
        } else {
          await response.write(sseEvent(toSseUsageEvent(event.result, parsed.turn.sessionId)));
          finished = true;
        }
        if (signal?.aborted) return;
        next = await nextOrKeepAlive(events, () => response.write(sseKeepAlive), keepAliveMs, clock, signal);
      }
      if (!finished) throw new Error('The chat stream ended without its usage.');
      await response.write(sseEvent(sseDone));
    } catch (error) {
      if (signal?.aborted) return;
      await response.write(sseEvent(toSseErrorEvent(error, requestId, logger)));
      await response.write(sseEvent(sseDone));
    } finally {
      // Stops the model stream when we leave early (client gone); a no-op once it has ended.
      await events.return?.(undefined).catch(() => {});
      await response.end();
    }
  };
}

/** The error event for a failure after the first token; logs it as `describeFailure` does. */
export function toSseErrorEvent(error: unknown, requestId: string, logger: Logger): SseErrorEvent {
  if (error instanceof StreamInterruptedError) {
    logger.warn('the model stream broke after the first token', {
      requestId,
      code: error.code,
      deliveredChars: error.deliveredChars,
    });
    return {
      type: 'error',
      request_id: requestId,
      code: 'stream_interrupted',
      message: 'The model stream failed part-way; the answer is incomplete. Retry the request.',
    };
  }
  const failure = describeFailure(error, requestId, logger);
  return { type: 'error', request_id: requestId, code: failure.code, message: failure.message };
}

/**
 * Why a quiet period's timer stops. One shared reason: `abort()` with none builds a DOMException,
 * stack and all, and this runs once per event of every stream.
 */
const eventArrived = new Error('the stream’s next event arrived');

/**
 * The stream's next event; while none comes for `keepAliveMs`, `keepAlive` is written (once per
 * quiet period). A failure of the stream rejects, as `next()` would.
 */
async function nextOrKeepAlive(
  events: AsyncIterator<ChatStreamEvent>,
  keepAlive: () => Promise<void>,
  keepAliveMs: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<Next> {
  const pending = events.next();
  if (keepAliveMs <= 0) return pending;
  const arrived = pending.then((result) => ({ result }));
  for (;;) {
    const stop = new AbortController();
    const quiet = clock.sleep(keepAliveMs, stop.signal).then(
      () => 'quiet' as const,
      () => 'stopped' as const,
    );
    try {
      const outcome = await Promise.race([arrived, quiet]);
      if (typeof outcome === 'object') return outcome.result;
    } finally {
      stop.abort(eventArrived);
    }
    // The pending `next()` settles when the gateway sees the abort; its outcome is awaited below.
    if (!signal?.aborted) await keepAlive();
  }
}
