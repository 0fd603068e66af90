import { type Clock, type Logger, silentLogger, systemClock } from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { errorResponse } from '../http.js';
import { type StreamingHttpEndpoint, type StreamingResponse, sendWholeResponse } from '../streaming-http.js';
import { type TenantResolver, tenantByKeyId, toHttpRequest } from './api-gateway-http.js';

// What was checked (AWS docs "Set up a Lambda proxy integration with payload response streaming
// in API Gateway" and "Writing response streaming-enabled Lambda functions", and the runtime's
// source, aws-lambda-nodejs-runtime-interface-client `src/stream/`):
// - An integration with `responseTransferMode: STREAM` calls the function through
//   InvokeWithResponseStream (`…/2021-11-15/functions/<arn>/response-streaming-invocations`)
//   with the same proxy event as a buffered Lambda proxy integration.
// - The function answers with a metadata JSON (`statusCode`, `headers`, `multiValueHeaders`,
//   `cookies`), eight NUL bytes, then the raw body; API Gateway starts streaming once it has the
//   metadata and the delimiter (which must come within the first 16 KB).
// - `awslambda.HttpResponseStream.from(stream, metadata)` writes exactly that: it sets the
//   stream's content type to `application/vnd.awslambda.http-integration-response` and
//   installs a hook that writes the JSON and the delimiter just before the first `write` (so it
//   must be called before any write, and nothing reaches API Gateway until the first write).
// - `awslambda.streamifyResponse(handler)` marks an async `(event, responseStream, context)`
//   handler; the stream is a Node.js `Writable` (`write` returns false on backpressure, then
//   `drain`); the handler must end the stream before its promise settles, or the invocation fails.
// - API Gateway REST streams for at most 15 minutes, with an idle timeout of 5 minutes
//   (regional/private) or 30 s (edge-optimized) — hence the endpoint's keep-alive comments.
// - When the client's connection closes, the docs warn that the function may keep running.
//   Not documented: whether the runtime's response stream then closes or errors. If it does
//   (before the end), this adapter aborts the endpoint's signal and the model call stops;
//   otherwise the gateway's stream timeout and the function timeout bound the work.
// - After the handler's promise settles, the runtime waits for the Runtime API's reply to the
//   streamed response and fails the invocation unless the stream `writableFinished`
//   (`src/runtime/streaming-invoke-processor.ts`); an error on that request (e.g. it was
//   destroyed) fails the invocation at once instead. A client that stops reading backs the
//   stream up, so a write waiting on `drain` or an end waiting on `finish` would hold the
//   function until its timeout: both are bounded by `stallTimeoutMs`, after which the work is
//   aborted and the stream destroyed.

/** Status and headers sent ahead of a streamed body (API Gateway's streaming metadata). */
export interface HttpResponseMetadata {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[]>>;
  readonly cookies?: readonly string[];
}

type StreamEvent = 'drain' | 'close' | 'error' | 'finish';

/** The response stream the Lambda Node.js runtime hands a streaming handler (a Node.js `Writable`). */
export interface LambdaResponseStream {
  /** False when the stream's buffer is full: wait for `drain`. */
  write(chunk: string | Uint8Array): boolean;
  end(callback?: () => void): unknown;
  on(event: StreamEvent, listener: (...args: unknown[]) => void): unknown;
  once(event: StreamEvent, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: StreamEvent, listener: (...args: unknown[]) => void): unknown;
  /** Cuts the stream (a client that stopped reading); emits `close`. */
  destroy(error?: Error): unknown;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
}

/** A handler wrapped by `streamifyResponse`: Lambda calls it with the event and the response stream. */
export type StreamingLambdaHandler<TEvent> = (
  event: TEvent,
  responseStream: LambdaResponseStream,
  context?: unknown,
) => Promise<void>;

/** The part of the Lambda Node.js runtime's `awslambda` global that response streaming uses. */
export interface AwsLambdaStreamingRuntime {
  streamifyResponse<TEvent>(handler: StreamingLambdaHandler<TEvent>): StreamingLambdaHandler<TEvent>;
  readonly HttpResponseStream: {
    from(stream: LambdaResponseStream, metadata: HttpResponseMetadata): LambdaResponseStream;
  };
}

/**
 * The `awslambda` global of the Lambda Node.js runtime (it has no package and no import).
 * Throws outside Lambda: pass a runtime explicitly there (`pnpm dev` has a local one).
 */
export function lambdaStreamingRuntime(): AwsLambdaStreamingRuntime {
  const runtime: unknown = Reflect.get(globalThis, 'awslambda');
  if (!isStreamingRuntime(runtime)) {
    throw new Error('globalThis.awslambda is missing: response streaming needs the Lambda Node.js runtime.');
  }
  return runtime;
}

const isObject = (value: unknown): value is object =>
  (typeof value === 'object' && value !== null) || typeof value === 'function';

function isStreamingRuntime(value: unknown): value is AwsLambdaStreamingRuntime {
  if (!isObject(value) || typeof Reflect.get(value, 'streamifyResponse') !== 'function') return false;
  const httpResponseStream: unknown = Reflect.get(value, 'HttpResponseStream');
  return isObject(httpResponseStream) && typeof Reflect.get(httpResponseStream, 'from') === 'function';
}

export interface StreamingApiGatewayHandlerOptions {
  /** @default tenantByKeyId */
  readonly resolveTenant?: TenantResolver;
  /** Work that must finish before Lambda freezes the environment (e.g. publishing events); runs after the response ends. */
  readonly afterResponse?: () => Promise<void>;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * Longest a write may wait for the client to take earlier bytes (`drain`), and the end for
   * the last ones (`finish`). After it the client is treated as gone: the endpoint's signal
   * aborts (a `TimeoutError`, so the model call is cancelled), the write resolves, and the
   * response stream is destroyed instead of being waited on until the function times out.
   * @default 15_000
   */
  readonly stallTimeoutMs?: number;
  /** Times the stall bound. @default systemClock */
  readonly clock?: Clock;
}

/**
 * Wraps a streaming endpoint as the Lambda handler of an API Gateway REST method whose
 * integration streams (`responseTransferMode: STREAM`): the proxy event becomes an
 * `HttpRequest`, `start` sends the status and headers with `HttpResponseStream.from` (they
 * leave with the first chunk), each `write` goes straight to the response stream and resolves
 * on `drain`, and the stream is always ended before the handler returns. A response stream
 * that closes or errors before the end (the client went away) aborts the endpoint's signal; so
 * does a client that takes nothing for `stallTimeoutMs` (15 s), whose stream is then destroyed
 * (the invocation ends as failed rather than holding the function until its timeout).
 * If the endpoint throws (or returns) before it started a response, the client gets a JSON
 * 500; after, the stream just ends (the endpoint reports its own failures in-band).
 *
 * @example
 * export const handler = makeStreamingApiGatewayHandler(endpoint); // in Lambda: globalThis.awslambda
 */
export function makeStreamingApiGatewayHandler(
  endpoint: StreamingHttpEndpoint,
  runtime: AwsLambdaStreamingRuntime = lambdaStreamingRuntime(),
  options: StreamingApiGatewayHandlerOptions = {},
): StreamingLambdaHandler<APIGatewayProxyEvent> {
  const logger = options.logger ?? silentLogger;
  const stallTimeoutMs = options.stallTimeoutMs ?? 15_000;
  if (!(stallTimeoutMs > 0)) throw new RangeError(`stallTimeoutMs must be positive, got ${stallTimeoutMs}`);
  const clock = options.clock ?? systemClock;
  return runtime.streamifyResponse<APIGatewayProxyEvent>(async (event, responseStream) => {
    const request = toHttpRequest(event, options.resolveTenant ?? tenantByKeyId);
    const clientGone = new AbortController();
    let ending = false;
    const onClose = () => {
      if (!ending) clientGone.abort(new DOMException('The client went away.', 'AbortError'));
    };
    const onError = (error: unknown) => {
      logger.warn('response stream failed', { requestId: request.requestId, error: String(error) });
      onClose();
    };
    responseStream.on('close', onClose);
    responseStream.on('error', onError);
    const response = new LambdaStreamingResponse(runtime, responseStream, {
      signal: clientGone.signal,
      stallTimeoutMs,
      clock,
      onStall: () => {
        if (clientGone.signal.aborted) return;
        logger.warn('the client took nothing for the stall timeout; abandoning the response', {
          requestId: request.requestId,
          stallTimeoutMs,
        });
        clientGone.abort(new DOMException('The client stopped reading the response.', 'TimeoutError'));
      },
    });
    try {
      await withTraceAnnotations({ tenant: request.tenantId }, () =>
        endpoint(request, response, clientGone.signal),
      );
      if (!response.started) throw new Error('The endpoint returned without starting a response.');
    } catch (error) {
      logger.error('streaming endpoint failed', {
        requestId: request.requestId,
        error: error instanceof Error ? error.stack : String(error),
      });
      if (!response.started) {
        await sendWholeResponse(
          response,
          errorResponse(500, request.requestId, 'internal_error', 'Something went wrong on our side.'),
        );
      }
    } finally {
      ending = true;
      await response.end();
      responseStream.removeListener('close', onClose);
      responseStream.removeListener('error', onError);
      await options.afterResponse?.();
    }
  });
}

interface StallBound {
  /** The endpoint's signal: a write stops waiting once it aborts. */
  readonly signal: AbortSignal;
  readonly stallTimeoutMs: number;
  readonly clock: Clock;
  /** Called when a wait for the client ran out (aborts `signal`). */
  readonly onStall: () => void;
}

/** `StreamingResponse` over Lambda's response stream; every wait on the client is bounded. */
class LambdaStreamingResponse implements StreamingResponse {
  private stream: LambdaResponseStream | undefined;
  private ended: Promise<void> | undefined;
  private stalled = false;

  constructor(
    private readonly runtime: AwsLambdaStreamingRuntime,
    private readonly raw: LambdaResponseStream,
    private readonly bound: StallBound,
  ) {}

  get started(): boolean {
    return this.stream !== undefined;
  }

  start(statusCode: number, headers: Readonly<Record<string, string>>): void {
    if (this.stream) throw new Error('The response has already started.');
    this.stream = this.runtime.HttpResponseStream.from(this.raw, { statusCode, headers: { ...headers } });
  }

  async write(chunk: string): Promise<void> {
    const stream = this.stream;
    if (!stream) throw new Error('start() must come before write().');
    if (stream.destroyed || this.ended || this.stalled || this.bound.signal.aborted) return;
    if (stream.write(chunk)) return;
    await this.waitFor(stream, ['drain', 'close', 'error']);
  }

  end(): Promise<void> {
    this.ended ??= this.finish();
    return this.ended;
  }

  private async finish(): Promise<void> {
    const stream = this.stream ?? this.raw;
    if (stream.destroyed || stream.writableFinished) return;
    if (this.stalled) {
      // The client already left its bytes untaken for the whole bound: do not wait again.
      stream.destroy();
      return;
    }
    const settled = this.waitFor(stream, ['finish', 'close', 'error'], false);
    stream.end();
    await settled;
    if (this.stalled && !stream.destroyed) stream.destroy();
  }

  /**
   * Resolves on the first of these events, when the stall bound runs out (then `stalled` is set
   * and `onStall` called) or, with `untilAborted`, when the endpoint's signal aborts. Removes
   * its listeners and its timer in every case.
   */
  private async waitFor(
    stream: LambdaResponseStream,
    events: readonly StreamEvent[],
    untilAborted = true,
  ): Promise<void> {
    const { signal, stallTimeoutMs, clock, onStall } = this.bound;
    const stop = new AbortController();
    const happened = new Promise<void>((resolve) => {
      const done = () => resolve();
      for (const event of events) stream.once(event, done);
      if (untilAborted) signal.addEventListener('abort', done, { signal: stop.signal });
      stop.signal.addEventListener('abort', () => {
        for (const event of events) stream.removeListener(event, done);
      });
    });
    const timedOut = clock.sleep(stallTimeoutMs, stop.signal).then(
      () => true,
      () => false,
    );
    try {
      if (await Promise.race([happened.then(() => false), timedOut])) {
        this.stalled = true;
        onStall();
      }
    } finally {
      stop.abort();
    }
  }
}
