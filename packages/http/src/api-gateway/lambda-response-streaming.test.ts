import { createFakeClock, installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpRequest } from '../http.js';
import type { StreamingHttpEndpoint } from '../streaming-http.js';
import {
  FakeResponseStream,
  fakeStreamingRuntime,
  settle,
  streamingProxyEvent,
} from '../testing/lambda-streaming-fixtures.js';
import { lambdaStreamingRuntime, makeStreamingApiGatewayHandler } from './lambda-response-streaming.js';

afterEach(() => {
  Reflect.deleteProperty(globalThis, 'awslambda');
});

describe('Lambda response streaming for API Gateway REST', () => {
  it('wraps the handler with streamifyResponse', () => {
    const { runtime, streamified } = fakeStreamingRuntime();
    const handler = makeStreamingApiGatewayHandler(async () => {}, runtime);
    expect(streamified).toEqual([handler]);
  });

  it('hands the endpoint the proxy request with its exact body, request id and API key tenant', async () => {
    const { runtime } = fakeStreamingRuntime();
    const seen: HttpRequest[] = [];
    const endpoint: StreamingHttpEndpoint = async (request, response) => {
      seen.push(request);
      response.start(204, {});
      await response.end();
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime)(
      streamingProxyEvent('{"a":1}'),
      new FakeResponseStream(),
    );
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
    const { runtime } = fakeStreamingRuntime();
    const tenants: string[] = [];
    const endpoint: StreamingHttpEndpoint = async (request, response) => {
      tenants.push(request.tenantId);
      response.start(204, {});
    };
    const resolveTenant = (apiKeyId: string | undefined) =>
      apiKeyId === 'key-123' ? 'tenant-a' : 'anonymous';
    await makeStreamingApiGatewayHandler(endpoint, runtime, { resolveTenant })(
      streamingProxyEvent('{}'),
      new FakeResponseStream(),
    );
    expect(tenants).toEqual(['tenant-a']);
  });

  it("runs the endpoint with the caller's tenant as the trace annotation of all its work", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const { runtime } = fakeStreamingRuntime();
    const inScope: unknown[] = [];
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      await Promise.resolve();
      inScope.push(traceAnnotations());
      response.start(204, {});
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime)(
      streamingProxyEvent('{}'),
      new FakeResponseStream(),
    );
    expect(inScope).toEqual([{ tenant: 'key-123' }]);
  });

  it('resolves a write only when the response stream has drained', async () => {
    const { runtime } = fakeStreamingRuntime();
    const stream = new FakeResponseStream(true);
    const progress: string[] = [];
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      response.start(200, {});
      await response.write('one');
      progress.push('one');
      await response.write('two');
      progress.push('two');
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime)(streamingProxyEvent('{}'), stream);
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
    const { runtime } = fakeStreamingRuntime();
    const stream = new FakeResponseStream();
    let reason: unknown;
    const endpoint: StreamingHttpEndpoint = async (_request, response, signal) => {
      response.start(200, {});
      await response.write('data: {"text":"一"}\n\n');
      await new Promise((resolve) => signal?.addEventListener('abort', resolve));
      reason = signal?.reason;
      await response.write('never sent');
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime)(streamingProxyEvent('{}'), stream);
    await new Promise((resolve) => setImmediate(resolve));
    stream.destroy();
    await done;
    expect(reason).toMatchObject({ name: 'AbortError' });
    expect(stream.received().body).toBe('data: {"text":"一"}\n\n');
  });

  it('aborts the endpoint signal and cuts the response when the client takes nothing for the stall timeout', async () => {
    const { runtime } = fakeStreamingRuntime();
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
      streamingProxyEvent('{}'),
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

  it('cuts a response whose end is not taken by the client within the stall timeout', async () => {
    const { runtime } = fakeStreamingRuntime();
    const clock = createFakeClock();
    const stream = new FakeResponseStream(false, true);
    let ending = false;
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      response.start(200, {});
      await response.write('x');
      ending = true;
    };
    const done = makeStreamingApiGatewayHandler(endpoint, runtime, { clock, stallTimeoutMs: 1_000 })(
      streamingProxyEvent('{}'),
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
    const { runtime } = fakeStreamingRuntime();
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
      streamingProxyEvent('{}'),
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
    const { runtime } = fakeStreamingRuntime();
    const stream = new FakeResponseStream();
    const endpoint: StreamingHttpEndpoint = async () => {
      throw new Error('boom');
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime)(streamingProxyEvent('{}'), stream);
    const { metadata, body } = stream.received();
    expect(metadata.statusCode).toBe(500);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'internal_error', request_id: 'api-req-1' } });
  });

  it('ends the stream even when the endpoint did not, then runs the after-response work', async () => {
    const { runtime } = fakeStreamingRuntime();
    const stream = new FakeResponseStream();
    const afterResponse = vi.fn(async () => {
      expect(stream.writableFinished).toBe(true);
    });
    const endpoint: StreamingHttpEndpoint = async (_request, response) => {
      response.start(200, {});
      await response.write('partial');
    };
    await makeStreamingApiGatewayHandler(endpoint, runtime, { afterResponse })(
      streamingProxyEvent('{}'),
      stream,
    );
    expect(afterResponse).toHaveBeenCalledOnce();
    expect(stream.received().body).toBe('partial');
  });

  it('uses the awslambda global of the Lambda runtime by default', () => {
    const { runtime, streamified } = fakeStreamingRuntime();
    Object.assign(globalThis, { awslambda: runtime });
    makeStreamingApiGatewayHandler(async () => {});
    expect(streamified).toHaveLength(1);
  });

  it('says what is missing outside the Lambda runtime', () => {
    expect(() => lambdaStreamingRuntime()).toThrow(/awslambda is missing/);
  });
});
