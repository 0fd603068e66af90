import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { settlesWithin } from '@mangaassist/commons/testing';
import { jsonResponse } from '@mangaassist/http';
import { afterEach, describe, expect, it } from 'vitest';
import { apiKeyIdentity, callingServiceIdentity } from './identity.js';
import { Orchestrator, type OrchestratorRoute } from './orchestrator-server.js';
import { modelAttemptTracer, type OtlpTracing, otlpTracing, tracingFromEnvironment } from './tracing.js';

/** An OTLP/HTTP collector: the spans of every JSON export it receives, flattened. */
async function collector() {
  const spans: ExportedSpan[] = [];
  const resources: Record<string, unknown>[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (part: string) => {
      body += part;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const exported = JSON.parse(body) as OtlpExport;
        for (const { resource, scopeSpans } of exported.resourceSpans) {
          resources.push(attributesOf(resource.attributes));
          for (const scope of scopeSpans) spans.push(...scope.spans);
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    resources,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface OtlpAttribute {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: number | string };
}
interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: readonly OtlpAttribute[];
  readonly status?: { readonly code?: number };
}
interface OtlpExport {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly OtlpAttribute[] };
    readonly scopeSpans: readonly { readonly spans: readonly ExportedSpan[] }[];
  }[];
}

function attributesOf(attributes: readonly OtlpAttribute[]): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [key, value.stringValue ?? Number(value.intValue)]),
  );
}

const echo: OrchestratorRoute = {
  kind: 'whole',
  endpoint: async (request) => jsonResponse(200, request.requestId, {}),
};
const failing: OrchestratorRoute = {
  kind: 'whole',
  endpoint: async (request) => jsonResponse(503, request.requestId, {}),
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tracedServer(tracing: OtlpTracing, more: Record<string, OrchestratorRoute> = {}) {
  const routes = { 'POST /v1/chat': echo, 'POST /v1/moderate': failing, ...more };
  const server = new Orchestrator({
    api: { routes, identify: apiKeyIdentity((key) => (key === 'good-key' ? 'manga-store' : undefined)) },
    proxy: { routes, identify: callingServiceIdentity() },
    tracing,
  });
  const ports = await server.listen({ api: 0, proxy: 0, host: '127.0.0.1' });
  cleanups.push(() => server.shutdown({ drainMs: 0 }));
  return {
    api: `http://127.0.0.1:${ports.api}`,
    proxy: `http://127.0.0.1:${ports.proxy}`,
    /** Stops the server (every request span has ended then), then sends the spans. */
    stop: async () => {
      await server.shutdown({ drainMs: 1_000 });
      await tracing.shutdown();
    },
  };
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';

describe('otlpTracing with the orchestrator', () => {
  it('sends a SERVER span per request to the collector, continuing the caller’s W3C trace', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = otlpTracing({
      endpoint: `${otlp.url}/`,
      serviceName: 'mangaassist-orchestrator',
      resource: { 'deployment.environment.name': 'dev' },
    });
    const { api, stop } = await tracedServer(tracing);

    const answer = await fetch(`${api}/v1/chat?x=1`, {
      method: 'POST',
      headers: { 'x-api-key': 'good-key', traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: '{}',
    });
    expect(answer.status).toBe(200);
    await stop();

    expect(otlp.spans).toHaveLength(1);
    const [span] = otlp.spans;
    expect(span).toMatchObject({ traceId, parentSpanId: callerSpanId, name: 'POST /v1/chat', kind: 2 });
    expect(attributesOf(span?.attributes ?? [])).toEqual({
      'http.request.method': 'POST',
      'url.path': '/v1/chat',
      'http.route': '/v1/chat',
      'http.response.status_code': 200,
      'mangaassist.door': 'api',
      'mangaassist.request_id': expect.any(String),
      'mangaassist.tenant_id': 'manga-store',
    });
    expect(otlp.resources[0]).toMatchObject({
      'service.name': 'mangaassist-orchestrator',
      'deployment.environment.name': 'dev',
    });
  });

  it('continues a trace API Gateway started (X-Ray header), and marks a 5xx an error', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = otlpTracing({ endpoint: otlp.url, serviceName: 'orchestrator' });
    const { proxy, stop } = await tracedServer(tracing);

    await fetch(`${proxy}/v1/moderate`, {
      method: 'POST',
      headers: {
        'x-calling-service': 'reviews',
        'x-amzn-trace-id': `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${callerSpanId};Sampled=1`,
      },
      body: '{}',
    });
    await stop();

    expect(otlp.spans).toHaveLength(1);
    const [span] = otlp.spans;
    expect(span).toMatchObject({ traceId, parentSpanId: callerSpanId, name: 'POST /v1/moderate' });
    expect(span?.status?.code).toBe(2);
    expect(attributesOf(span?.attributes ?? [])).toMatchObject({
      'http.response.status_code': 503,
      'mangaassist.door': 'proxy',
      'mangaassist.tenant_id': 'svc-reviews',
    });
  });

  it('follows the caller’s decision not to sample, samples new traces at its ratio, names unknown paths by method, skips health checks', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = otlpTracing({ endpoint: otlp.url, serviceName: 'orchestrator', sampleRatio: 1 });
    const { api, stop } = await tracedServer(tracing);

    await fetch(`${api}/v1/chat`, {
      method: 'POST',
      headers: { 'x-api-key': 'good-key', traceparent: `00-${traceId}-${callerSpanId}-00` },
      body: '{}',
    });
    const before = Math.floor(Date.now() / 1000);
    await fetch(`${api}/v1/secret-admin-path`, { method: 'POST', body: '{}' });
    // Health checks come every few seconds from the load balancer and ECS: never traced.
    await fetch(`${api}/healthz`);
    await fetch(`${api}/readyz`);
    await stop();

    expect(otlp.spans.map((span) => [span.name, span.parentSpanId ?? ''])).toEqual([['POST', '']]);
    // A new trace's ID starts with its epoch second, as X-Ray's own IDs do.
    const started = Number.parseInt(otlp.spans[0]?.traceId.slice(0, 8) ?? '', 16);
    expect(started).toBeGreaterThanOrEqual(before);
    expect(started).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(attributesOf(otlp.spans[0]?.attributes ?? [])).toMatchObject({
      'url.path': '/v1/secret-admin-path',
      'http.response.status_code': 404,
    });
  });

  it('records no new trace at a ratio of 0, and refuses a ratio out of range', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = otlpTracing({ endpoint: otlp.url, serviceName: 'orchestrator', sampleRatio: 0 });
    const { api, stop } = await tracedServer(tracing);

    await (
      await fetch(`${api}/v1/chat`, { method: 'POST', headers: { 'x-api-key': 'good-key' }, body: '{}' })
    ).text();
    // A control in the same run: a caller's sampled trace is still recorded.
    await (
      await fetch(`${api}/v1/moderate`, {
        method: 'POST',
        headers: { 'x-api-key': 'good-key', traceparent: `00-${traceId}-${callerSpanId}-01` },
        body: '{}',
      })
    ).text();
    await stop();

    expect(otlp.spans.map((span) => span.name)).toEqual(['POST /v1/moderate']);
    expect(() => otlpTracing({ endpoint: otlp.url, serviceName: 'x', sampleRatio: 1.5 })).toThrow(
      /between 0 and 1/,
    );
  });
});

describe('otlpTracing when the collector fails', () => {
  it('gives up its flush after its export timeout and never rejects, whether the collector is gone or silent', async () => {
    const silent = createServer(() => {}); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const endpoints = ['http://127.0.0.1:1', `http://127.0.0.1:${(silent.address() as AddressInfo).port}`];
    for (const endpoint of endpoints) {
      const tracing = otlpTracing({
        endpoint,
        serviceName: 'orchestrator',
        sampleRatio: 1,
        exportTimeoutMs: 200,
      });
      const { api } = await tracedServer(tracing);
      await (
        await fetch(`${api}/v1/chat`, { method: 'POST', headers: { 'x-api-key': 'good-key' }, body: '{}' })
      ).text();

      await expect(
        settlesWithin(tracing.shutdown(), 3_000, `the flush to ${endpoint}`),
      ).resolves.toBeUndefined();
    }
  });
});

describe('the request span of a client that left', () => {
  it('has no status code, and says the client closed, when no answer was sent', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = otlpTracing({ endpoint: otlp.url, serviceName: 'orchestrator', sampleRatio: 1 });
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let sawLeave: () => void = () => {};
    const left = new Promise<void>((resolve) => {
      sawLeave = resolve;
    });
    // Answers only once its client has gone: nothing is ever sent.
    const held: OrchestratorRoute = {
      kind: 'whole',
      endpoint: async (request, signal) => {
        arrived();
        await new Promise<void>((resolve) =>
          signal?.addEventListener('abort', () => resolve(), { once: true }),
        );
        sawLeave();
        return jsonResponse(200, request.requestId, {});
      },
    };
    const { api, stop } = await tracedServer(tracing, { 'POST /v1/summarize': held });
    const leaving = new AbortController();

    const answer = fetch(`${api}/v1/summarize`, {
      method: 'POST',
      headers: { 'x-api-key': 'good-key' },
      body: '{}',
      signal: leaving.signal,
    }).catch(() => undefined);
    await settlesWithin(arrival, 5_000, 'the request reaching its endpoint');
    leaving.abort();
    await answer;
    await settlesWithin(left, 5_000, 'the endpoint seeing its client leave');
    await stop();

    expect(otlp.spans).toHaveLength(1);
    const attributes = attributesOf(otlp.spans[0]?.attributes ?? []);
    expect(attributes['error.type']).toBe('client_closed');
    expect(attributes).not.toHaveProperty('http.response.status_code');
  });
});

describe('modelAttemptTracer', () => {
  it('puts each model target the gateway tries under the request that asked, an error span for a failure', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = otlpTracing({ endpoint: otlp.url, serviceName: 'orchestrator', sampleRatio: 1 });
    const attempts = modelAttemptTracer(tracing);
    // What the gateway's ladder does, after the request's own awaits: a throttled target, then one that answers.
    const summarize: OrchestratorRoute = {
      kind: 'whole',
      endpoint: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const tokyo = {
          model: 'claude-haiku-4-5',
          region: 'ap-northeast-1',
          modelId: 'jp.anthropic.claude-haiku-4-5',
        };
        const first = attempts.start({ ...tokyo, outcome: 'failed', calls: 0 });
        await new Promise((resolve) => setTimeout(resolve, 1));
        first.end({ ...tokyo, outcome: 'failed', calls: 3, error: 'ThrottlingException' });
        const osaka = { ...tokyo, region: 'ap-northeast-3' };
        attempts
          .start({ ...osaka, outcome: 'failed', calls: 0 })
          .end({ ...osaka, outcome: 'success', calls: 1 });
        return jsonResponse(200, request.requestId, {});
      },
    };
    const { api, stop } = await tracedServer(tracing, { 'POST /v1/summarize': summarize });

    await fetch(`${api}/v1/summarize`, { method: 'POST', headers: { 'x-api-key': 'good-key' }, body: '{}' });
    await stop();

    const server = otlp.spans.find((span) => span.kind === 2);
    const clients = otlp.spans.filter((span) => span.kind === 3);
    expect(server?.name).toBe('POST /v1/summarize');
    expect(
      clients.map((span) => [span.name, span.traceId, span.parentSpanId, span.status?.code ?? 0]),
    ).toEqual([
      ['chat jp.anthropic.claude-haiku-4-5', server?.traceId, server?.spanId, 2],
      ['chat jp.anthropic.claude-haiku-4-5', server?.traceId, server?.spanId, 0],
    ]);
    expect(attributesOf(clients[0]?.attributes ?? [])).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': 'jp.anthropic.claude-haiku-4-5',
      'cloud.region': 'ap-northeast-1',
      'server.address': 'bedrock-runtime.ap-northeast-1.amazonaws.com',
      'mangaassist.model': 'claude-haiku-4-5',
      'mangaassist.attempt.calls': 3,
      'mangaassist.attempt.outcome': 'failed',
      'error.type': 'ThrottlingException',
    });
    expect(attributesOf(clients[1]?.attributes ?? [])).toMatchObject({
      'cloud.region': 'ap-northeast-3',
      'mangaassist.attempt.outcome': 'success',
    });
  });
});

describe('tracingFromEnvironment', () => {
  it('traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set, and checks the sample ratio', async () => {
    expect(tracingFromEnvironment({}, 'orchestrator')).toBeUndefined();
    expect(tracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, 'orchestrator')).toBeUndefined();
    const tracing = tracingFromEnvironment(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_SAMPLER_ARG: '0.5' },
      'orchestrator',
    );
    expect(tracing).toBeDefined();
    await tracing?.shutdown();
    expect(() =>
      tracingFromEnvironment(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_SAMPLER_ARG: 'all' },
        'orchestrator',
      ),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got all/);
  });

  it('names the service OTEL_SERVICE_NAME when given', async () => {
    const otlp = await collector();
    cleanups.push(otlp.close);
    const tracing = tracingFromEnvironment(
      { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'fm-proxy', OTEL_TRACES_SAMPLER_ARG: '1' },
      'orchestrator',
    );
    if (!tracing) throw new Error('no tracing from a set endpoint');
    const { api, stop } = await tracedServer(tracing);
    await fetch(`${api}/v1/chat`, { method: 'POST', headers: { 'x-api-key': 'good-key' }, body: '{}' });
    await stop();

    expect(otlp.resources[0]).toMatchObject({ 'service.name': 'fm-proxy' });
  });
});
