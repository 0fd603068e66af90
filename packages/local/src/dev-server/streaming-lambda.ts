import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type {
  AwsLambdaStreamingRuntime,
  HttpResponseMetadata,
  LambdaResponseStream,
  StreamingLambdaHandler,
} from '@mangaassist/http/api-gateway';

/**
 * The response stream `serveStreamingLambda` hands a handler: a `Writable` onto a Node.js
 * `ServerResponse`. As in Lambda, the status and headers given to `HttpResponseStream.from`
 * leave with the first chunk (or the end), and each chunk is written through at once. A chunk
 * (or the end) the client does not take within `stallTimeoutMs` cuts the connection.
 */
class LocalResponseStream extends Writable {
  private metadata: HttpResponseMetadata | undefined;
  private headSent = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly stallTimeoutMs: number,
  ) {
    super();
  }

  setMetadata(metadata: HttpResponseMetadata): void {
    // The Lambda runtime refuses too (`Cannot set content-type, too late.`).
    if (this.headSent) throw new Error('HttpResponseStream.from must come before the first write.');
    this.metadata = metadata;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendHead();
    if (this.response.write(chunk)) {
      callback();
      return;
    }
    this.untilTaken('drain', callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendHead();
    if (this.response.destroyed) {
      callback();
      return;
    }
    this.untilTaken('finish', callback);
    this.response.end();
  }

  /**
   * Calls `callback` once the response emits `event` or closes; when neither comes within the
   * stall timeout (the client stopped reading), destroys the response, whose `close` then
   * destroys this stream as a departing client does.
   */
  private untilTaken(event: 'drain' | 'finish', callback: () => void): void {
    const done = () => {
      clearTimeout(timer);
      this.response.off(event, done);
      this.response.off('close', done);
      callback();
    };
    const timer = setTimeout(() => {
      done();
      this.response.destroy();
    }, this.stallTimeoutMs);
    this.response.once(event, done);
    this.response.once('close', done);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.response.writableEnded) this.response.destroy();
    callback(error);
  }

  private sendHead(): void {
    if (this.headSent) return;
    this.headSent = true;
    // Without metadata a function URL answers 200 application/octet-stream; do the same.
    const {
      statusCode,
      headers = {},
      multiValueHeaders = {},
      cookies = [],
    } = this.metadata ?? {
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
    };
    const head: Record<string, string | string[]> = { ...headers };
    for (const [name, values] of Object.entries(multiValueHeaders)) head[name] = [...values];
    if (cookies.length > 0) head['set-cookie'] = [...cookies];
    this.response.writeHead(statusCode, head);
  }
}

/**
 * The `awslambda` runtime object for `pnpm dev`: `streamifyResponse` and
 * `HttpResponseStream.from` as the Lambda Node.js runtime provides them, over the local
 * server's responses, so the deployed streaming handler runs unchanged.
 * `HttpResponseStream.from` accepts only streams made by `serveStreamingLambda`.
 */
export const localStreamingRuntime: AwsLambdaStreamingRuntime = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream: LambdaResponseStream, metadata: HttpResponseMetadata): LambdaResponseStream {
      if (!(stream instanceof LocalResponseStream)) {
        throw new TypeError('HttpResponseStream.from needs the response stream serveStreamingLambda made.');
      }
      stream.setMetadata(metadata);
      return stream;
    },
  },
};

export interface ServeStreamingLambdaOptions {
  /**
   * Longest the local runtime waits for the client to take a chunk (or the end) before it cuts
   * the connection: the local stand-in for the limits that end a stuck stream when deployed
   * (API Gateway's idle timeout, the function timeout). Longer than the handler's own stall
   * bound (`makeStreamingApiGatewayHandler`, 15 s), which acts first when there is one.
   * @default 30_000
   */
  readonly stallTimeoutMs?: number;
}

/**
 * Runs a streaming Lambda handler (made with `localStreamingRuntime`) for one local request,
 * streaming what it writes to `response` as it writes it. A client that disconnects destroys
 * the handler's response stream, as Lambda's closes, so the handler sees the client go away;
 * so does a client that takes nothing for `stallTimeoutMs` (its connection is cut), so neither
 * the handler nor this promise waits forever on a client that stopped reading.
 * Rejects with the handler's error, or when the handler returns without ending its stream
 * (Lambda fails such an invocation); the caller answers those as the server's own failure.
 *
 * @example
 * await serveStreamingLambda(chatStream, toApiGatewayEvent(request, path, body, context), response);
 */
export async function serveStreamingLambda<TEvent>(
  handler: StreamingLambdaHandler<TEvent>,
  event: TEvent,
  response: ServerResponse,
  options: ServeStreamingLambdaOptions = {},
): Promise<void> {
  const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
  if (!(stallTimeoutMs > 0)) throw new RangeError(`stallTimeoutMs must be positive, got ${stallTimeoutMs}`);
  const stream = new LocalResponseStream(response, stallTimeoutMs);
  const onClose = () => {
    if (!response.writableFinished) stream.destroy();
  };
  response.on('close', onClose);
  // A destroyed stream may report a failed write; the handler learns of it through `close`.
  stream.on('error', () => {});
  try {
    await handler(event, stream);
    if (!stream.writableEnded && !stream.destroyed) {
      stream.destroy();
      throw new Error('The streaming handler returned without ending its response stream.');
    }
    await finished(stream).catch(() => {});
  } finally {
    response.off('close', onClose);
  }
}
