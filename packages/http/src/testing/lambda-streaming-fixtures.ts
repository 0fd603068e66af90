// Fakes of the Lambda Node.js runtime's response streaming, for tests of streaming handlers.
import { Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type {
  AwsLambdaStreamingRuntime,
  HttpResponseMetadata,
  LambdaResponseStream,
} from '../api-gateway/lambda-response-streaming.js';

const delimiter = Buffer.alloc(8);

/**
 * A Lambda response stream as the runtime makes it: a `Writable` whose bytes are recorded, with
 * the metadata prelude and the eight-NUL delimiter written just before the first chunk once
 * `HttpResponseStream.from` was called. With `holdWrites`, chunks are accepted only when the
 * test calls `release()` (and `write` reports backpressure after each one); with `holdEnd`, so
 * is the end (a client that never takes the last bytes).
 */
export class FakeResponseStream extends Writable {
  readonly bytes: Buffer[] = [];
  prelude: string | undefined;
  private held: (() => void)[] = [];
  private preludeSent = false;

  constructor(
    private readonly holdWrites = false,
    private readonly holdEnd = false,
  ) {
    super({ highWaterMark: holdWrites ? 1 : 16 * 1024 });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.holdEnd) this.held.push(() => callback());
    else callback();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.prelude !== undefined && !this.preludeSent) {
      this.bytes.push(Buffer.from(this.prelude), delimiter);
      this.preludeSent = true;
    }
    this.bytes.push(chunk);
    if (this.holdWrites) this.held.push(() => callback());
    else callback();
  }

  release(): void {
    for (const callback of this.held.splice(0)) callback();
  }

  /** The metadata and the body, split at the delimiter as API Gateway reads them. */
  received(): { metadata: HttpResponseMetadata; body: string } {
    const all = Buffer.concat(this.bytes);
    const at = all.indexOf(delimiter);
    if (at < 0) throw new Error('no metadata delimiter in the response stream');
    return {
      metadata: JSON.parse(all.subarray(0, at).toString('utf8')) as HttpResponseMetadata,
      body: all.subarray(at + delimiter.length).toString('utf8'),
    };
  }
}

/** The `awslambda` global as the Node.js runtime provides it; `streamified` holds every wrapped handler. */
export function fakeStreamingRuntime() {
  const streamified: unknown[] = [];
  const runtime: AwsLambdaStreamingRuntime = {
    streamifyResponse(handler) {
      streamified.push(handler);
      return handler;
    },
    HttpResponseStream: {
      from(stream: LambdaResponseStream, metadata: HttpResponseMetadata) {
        if (!(stream instanceof FakeResponseStream)) throw new TypeError('not the runtime stream');
        stream.prelude = JSON.stringify(metadata);
        return stream;
      },
    },
  };
  return { runtime, streamified };
}

/** An API Gateway REST proxy event for `POST /v1/chat/stream` (base64 body, request id, API key id). */
export function streamingProxyEvent(
  body: unknown,
  overrides: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/chat/stream',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
    requestContext: { requestId: 'api-req-1', identity: { apiKeyId: 'key-123' } },
    ...overrides,
  } as APIGatewayProxyEvent;
}

/** Lets every callback queued so far run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
