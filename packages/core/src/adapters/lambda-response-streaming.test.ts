import { Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeChatRequestParser } from '../api/chat-endpoint.js';
import { makeChatStreamEndpoint, type StreamingHttpEndpoint } from '../api/chat-stream-endpoint.js';
import type { HttpRequest } from '../api/http.js';
import { loadModelCatalog } from '../catalog/model-catalog.js';
import { ChatService } from '../chat/chat-service.js';
import { createFakeRuntimes } from '../gateway/fake-model-runtime.js';
import { FmGateway } from '../gateway/fm-gateway.js';
import { createFakeClock, type FakeClock } from '../resilience/fake-clock.js';
import { ModelRouter } from '../routing/model-router.js';
import { estimateTokens } from '../text/estimate-tokens.js';
import {
  type AwsLambdaStreamingRuntime,
  type HttpResponseMetadata,
  type LambdaResponseStream,
  lambdaStreamingRuntime,
  makeStreamingApiGatewayHandler,
} from './lambda-response-streaming.js';

const delimiter = Buffer.alloc(8);

/**
 * A Lambda response stream as the runtime makes it: a `Writable` whose bytes are recorded, with
 * the metadata prelude and the eight-NUL delimiter written just before the first chunk once
 * `HttpResponseStream.from` was called. With `holdWrites`, chunks are accepted only when the
 * test calls `release()` (and `write` reports backpressure after each one); with `holdEnd`, so
 * is the end (a client that never takes the last bytes).
 */
class FakeResponseStream extends Writable {
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

function fakeRuntime() {
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

function proxyEvent(body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
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

function chatStreamEndpoint(deltas: readonly string[] = ['一', '二']) {
  return chatStreamSetup(deltas, createFakeClock()).endpoint;
}

/** The chat stream endpoint over fake model runtimes, on the given clock. */
function chatStreamSetup(deltas: readonly string[], clock: FakeClock) {
  const catalog = loadModelCatalog();
  const router = new ModelRouter({ catalog, estimateTokens });
  const runtimes = createFakeRuntimes(() => ({ deltas }), clock);
  const gateway = new FmGateway({
    catalog,
    runtimes: runtimes.provider,
    selectModel: (request) => router.route(request),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
  });
  const endpoint = makeChatStreamEndpoint({
    chat: new ChatService({ gateway }),
    parse: makeChatRequestParser({ catalog }),
    clock,
  });
  return { endpoint, runtimes };
}

/** Lets every callback queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const hello = { messages: [{ role: 'user', content: 'こんにちは' }] };

afterEach(() => {
  Reflect.deleteProperty(globalThis, 'awslambda');
});

describe('Lambda response streaming for API Gateway REST', () => {
  it('wraps the handler with streamifyResponse', () => {
    const { runtime, streamified } = fakeRuntime();
    const handler = makeStreamingApiGatewayHandler(async () => {}, runtime);
    expect(streamified).toEqual([handler]);
  });

  it('sends the status and headers as the metadata prelude, then the events as the body', async () => {
    const { runtime } = fakeRuntime();
    const stream = new FakeResponseStream();
    await makeStreamingApiGatewayHandler(chatStreamEndpoint(), runtime)(proxyEvent(hello), stream);

    const { metadata, body } = stream.received();
    expect(metadata).toEqual({
      statusCode: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-request-id': 'api-req-1',
      },
    });
    expect(body).toMatch(
      /^data: \{"text":"一"\}\n\ndata: \{"text":"二"\}\n\ndata: \{"type":"usage".*\n\ndata: \[DONE\]\n\n$/,
    );
    expect(stream.writableFinished).toBe(true);
  });

  it('sends a failure before the first token as a JSON status, not a stream', async () => {
    const { runtime } = fakeRuntime();
    const stream = new FakeResponseStream();
    await makeStreamingApiGatewayHandler(chatStreamEndpoint(), runtime)(proxyEvent('{"messages": ['), stream);

    const { metadata, body } = stream.received();
    expect(metadata).toMatchObject({
      statusCode: 400,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'malformed_json', request_id: 'api-req-1' } });
  });

  it('hands the endpoint the proxy request with its exact body, request id and API key tenant', async () => {
    const { runtime } = fakeRuntime();
    const seen: HttpRequest[] = [];
    const endpoint: StreamingHttpEndpoint = async (request, response) => {
      seen.push(request);
      response.start(204, {});
      await response.end();
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime)(proxyEvent('{"a":1}'), new FakeResponseStream());
    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/stream',
      headers: { 'content-type': 'application/json' },
      requestId: 'api-req-1',
      tenantId: 'key-123',
    });
    expect(new TextDecoder().decode(seen[0]?.body)).toBe('{"a":1}');
  });

  it('maps the API key id to its tenant with the given resolver', async () => {
    const { runtime } = fakeRuntime();
    const tenants: string[] = [];
    const endpoint: StreamingHttpEndpoint = async (request, response) => {
      tenants.push(request.tenantId);
      response.start(204, {});
    };
    const resolveTenant = (apiKeyId: string | undefined) =>
      apiKeyId === 'key-123' ? 'tenant-a' : 'anonymous';
    await makeStreamingApiGatewayHandler(endpoint, runtime, { resolveTenant })(
      proxyEvent('{}'),
      new FakeResponseStream(),
    );
    expect(tenants).toEqual(['tenant-a']);
  });

  it('resolves a write only when the response stream has drained', async () => {
    const { runtime } = fakeRuntime();
    const stream = new FakeResponseStream(true);
    const progress: string[] = [];
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      response.start(200, {});
      await response.write('one');
      progress.push('one');
      await response.write('two');
      progress.push('two');
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime)(proxyEvent('{}'), stream);
    await new Promise((resolve) => setImmediate(resolve));
    expect(progress).toEqual([]);
    stream.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(progress).toEqual(['one']);
    stream.release();
    await new Promise((resolve) => setImmediate(resolve));
    stream.release();
    await done;
    expect(progress).toEqual(['one', 'two']);
    expect(stream.received().body).toBe('onetwo');
  });

  it('aborts the endpoint signal when the response stream closes early (the client went away)', async () => {
    const { runtime } = fakeRuntime();
    const stream = new FakeResponseStream();
    let reason: unknown;
    const endpoint: StreamingHttpEndpoint = async (_request, response, signal) => {
      response.start(200, {});
      await response.write('data: {"text":"一"}\n\n');
      await new Promise((resolve) => signal?.addEventListener('abort', resolve));
      reason = signal?.reason;
      await response.write('never sent');
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime)(proxyEvent('{}'), stream);
    await new Promise((resolve) => setImmediate(resolve));
    stream.destroy();
    await done;
    expect(reason).toMatchObject({ name: 'AbortError' });
    expect(stream.received().body).toBe('data: {"text":"一"}\n\n');
  });

  it('aborts the endpoint signal and cuts the response when the client takes nothing for the stall timeout', async () => {
    const { runtime } = fakeRuntime();
    const clock = createFakeClock();
    const stream = new FakeResponseStream(true);
    let reason: unknown;
    let returned = false;
    const endpoint: StreamingHttpEndpoint = async (_request, response, signal) => {
      response.start(200, {});
      await response.write('data: {"text":"一"}\n\n');
      reason = signal?.reason;
      returned = true;
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime, { clock, stallTimeoutMs: 15_000 })(
      proxyEvent('{}'),
      stream,
    );
    await settle();
    expect(returned).toBe(false);
    await clock.advance(15_000);
    await done;
    expect(reason).toMatchObject({ name: 'TimeoutError' });
    expect(stream.destroyed).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('cancels the model call when the client stops reading mid-stream', async () => {
    const { runtime } = fakeRuntime();
    const clock = createFakeClock();
    const { endpoint, runtimes } = chatStreamSetup(['一', '二', '三', '四'], clock);
    const stream = new FakeResponseStream(true);
    const done = makeStreamingApiGatewayHandler(endpoint, runtime, { clock })(proxyEvent(hello), stream);
    await settle();
    await clock.advance(15_000);
    await done;
    expect(runtimes.streamsClosedEarly()).toBe(1);
    expect(stream.received().body).toBe('data: {"text":"一"}\n\n');
    expect(stream.destroyed).toBe(true);
  });

  it('cuts a response whose end is not taken by the client within the stall timeout', async () => {
    const { runtime } = fakeRuntime();
    const clock = createFakeClock();
    const stream = new FakeResponseStream(false, true);
    let ending = false;
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      response.start(200, {});
      await response.write('x');
      ending = true;
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime, { clock, stallTimeoutMs: 1_000 })(
      proxyEvent('{}'),
      stream,
    );
    await settle();
    expect(ending).toBe(true);
    expect(stream.writableFinished).toBe(false);
    await clock.advance(1_000);
    await done;
    expect(stream.destroyed).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('keeps streaming to a slow client that keeps taking what it is sent', async () => {
    const { runtime } = fakeRuntime();
    const clock = createFakeClock();
    const stream = new FakeResponseStream(true);
    const endpoint: StreamingHttpEndpoint = async (_request, response, signal) => {
      response.start(200, {});
      for (const chunk of ['a', 'b', 'c']) {
        await response.write(chunk);
        if (signal?.aborted) return;
      }
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime, { clock, stallTimeoutMs: 1_000 })(
      proxyEvent('{}'),
      stream,
    );
    for (let step = 0; step < 5; step++) {
      await settle();
      await clock.advance(900);
      stream.release();
    }
    await done;
    expect(stream.received().body).toBe('abc');
    expect(stream.writableFinished).toBe(true);
  });

  it('answers a JSON 500 when the endpoint throws before it started a response', async () => {
    const { runtime } = fakeRuntime();
    const stream = new FakeResponseStream();
    const endpoint: StreamingHttpEndpoint = async () => {
      throw new Error('boom');
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime)(proxyEvent('{}'), stream);
    const { metadata, body } = stream.received();
    expect(metadata.statusCode).toBe(500);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'internal_error', request_id: 'api-req-1' } });
  });

  it('ends the stream even when the endpoint did not, then runs the after-response work', async () => {
    const { runtime } = fakeRuntime();
    const stream = new FakeResponseStream();
    const afterResponse = vi.fn(async () => {
      expect(stream.writableFinished).toBe(true);
    });
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      response.start(200, {});
      await response.write('partial');
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime, { afterResponse })(proxyEvent('{}'), stream);
    expect(afterResponse).toHaveBeenCalledOnce();
    expect(stream.received().body).toBe('partial');
  });

  it('uses the awslambda global of the Lambda runtime by default', () => {
    const { runtime, streamified } = fakeRuntime();
    Object.assign(globalThis, { awslambda: runtime });
    makeStreamingApiGatewayHandler(async () => {});
    expect(streamified).toHaveLength(1);
  });

  it('says what is missing outside the Lambda runtime', () => {
    expect(() => lambdaStreamingRuntime()).toThrow(/awslambda is missing/);
  });
});
