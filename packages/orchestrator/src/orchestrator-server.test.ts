import { request as httpRequest } from 'node:http';
import type { MetricSet } from '@mangaassist/commons';
import { recordingLogger, settlesWithin } from '@mangaassist/commons/testing';
import {
  errorResponse,
  type HttpRequest,
  jsonResponse,
  type StreamingHttpEndpoint,
  sseEvent,
  sseHeaders,
} from '@mangaassist/http';
import { afterEach, describe, expect, it } from 'vitest';
import { apiKeyIdentity, callingServiceIdentity } from './identity.js';
import { Orchestrator, type OrchestratorOptions, type OrchestratorRoute } from './orchestrator-server.js';

const running: Orchestrator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.shutdown({ drainMs: 0 })));
});

/** A gate a test opens by hand. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Echoes who called and what they sent. */
const echo: OrchestratorRoute = {
  kind: 'whole',
  endpoint: async (request: HttpRequest) =>
    jsonResponse(200, request.requestId, {
      tenant: request.tenantId,
      body: new TextDecoder().decode(request.body),
      query: request.query,
    }),
};

/** Streams `count` events, each after `each` resolves; records its signal. */
function streamOf(count: number, each: () => Promise<void> = async () => {}) {
  const seen: { signal?: AbortSignal } = {};
  const endpoint: StreamingHttpEndpoint = async (request, response, signal) => {
    if (signal) seen.signal = signal;
    response.start(200, sseHeaders(request.requestId));
    try {
      for (let index = 0; index < count; index++) {
        await each();
        if (signal?.aborted) return;
        await response.write(sseEvent({ text: `t${index}` }));
      }
      await response.write(sseEvent('[DONE]'));
    } finally {
      await response.end();
    }
  };
  return { route: { kind: 'streaming', endpoint } as OrchestratorRoute, seen };
}

async function start(
  options: Partial<OrchestratorOptions> & { routes?: Record<string, OrchestratorRoute> } = {},
) {
  const routes = options.routes ?? { 'POST /v1/chat': echo };
  const logger = recordingLogger();
  const server = new Orchestrator({
    api: { routes, identify: apiKeyIdentity((key) => (key === 'good-key' ? 'manga-store' : undefined)) },
    proxy: { routes, identify: callingServiceIdentity() },
    logger,
    ...options,
  });
  running.push(server);
  const ports = await server.listen({ api: 0, proxy: 0, host: '127.0.0.1' });
  return {
    server,
    logger,
    api: `http://127.0.0.1:${ports.api}`,
    proxy: `http://127.0.0.1:${ports.proxy}`,
  };
}

const post = (url: string, body: string, headers: Record<string, string> = { 'x-api-key': 'good-key' }) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('Orchestrator routes', () => {
  it('answers a route with the endpoint, for the tenant of the caller’s key', async () => {
    const { api } = await start();

    const answer = await post(`${api}/v1/chat?x=1&x=2`, '{"message":"呪術廻戦"}');

    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      tenant: 'manga-store',
      body: '{"message":"呪術廻戦"}',
      query: { x: ['1', '2'] },
    });
  });

  it('counts an FM proxy call to its calling service, and refuses one that names none', async () => {
    const { proxy } = await start();

    const named = await post(`${proxy}/v1/chat`, '{}', { 'x-calling-service': 'recommender' });
    const unnamed = await post(`${proxy}/v1/chat`, '{}', {});
    const badName = await post(`${proxy}/v1/chat`, '{}', { 'x-calling-service': 'Bad Name!' });

    expect(await named.json()).toMatchObject({ tenant: 'svc-recommender' });
    for (const refused of [unnamed, badName]) {
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: { code: 'calling_service_required' } });
    }
  });

  it('refuses with JSON: no key 403, an unknown path 404, another method 405, a large body 413', async () => {
    const { api } = await start({ maxBodyBytes: 100 });

    const cases = [
      [await post(`${api}/v1/chat`, '{}', {}), 403, 'invalid_api_key'],
      [await post(`${api}/v1/nothing`, '{}'), 404, 'route_not_found'],
      [await fetch(`${api}/v1/chat`, { headers: { 'x-api-key': 'good-key' } }), 405, 'method_not_allowed'],
      [await post(`${api}/v1/chat`, 'x'.repeat(101)), 413, 'payload_too_large'],
    ] as const;

    for (const [answer, status, code] of cases) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toContain('application/json');
      expect(await answer.json()).toMatchObject({ error: { code, request_id: expect.any(String) } });
    }
  });

  it('answers 500 JSON for an endpoint that throws, and logs it', async () => {
    const { api, logger } = await start({
      routes: {
        'POST /v1/chat': {
          kind: 'whole',
          endpoint: async () => {
            throw new Error('boom');
          },
        },
      },
    });

    const answer = await post(`${api}/v1/chat`, '{}');

    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: { code: 'internal_error' } });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'orchestrator request failed' }),
    );
  });

  it('streams each event as it is written, and aborts the endpoint when the client goes away', async () => {
    let next = gate();
    const { route, seen } = streamOf(100, async () => {
      await next.opened;
      next = gate();
    });
    const { api, server } = await start({ routes: { 'POST /v1/chat/stream': route } });
    const abort = new AbortController();

    const answer = await fetch(`${api}/v1/chat/stream`, {
      method: 'POST',
      headers: { 'x-api-key': 'good-key' },
      body: '{}',
      signal: abort.signal,
    });
    const reader = answer.body?.getReader();
    if (!reader) throw new Error('no body');
    next.open();
    const first = await reader.read();

    expect(answer.headers.get('content-type')).toContain('text/event-stream');
    expect(new TextDecoder().decode(first.value)).toBe('data: {"text":"t0"}\n\n');
    abort.abort();
    await expect
      .poll(() => seen.signal?.aborted, { message: 'the endpoint never saw the client leave' })
      .toBe(true);
    next.open();
    await expect.poll(() => server.openRequests, { message: 'the request stayed open' }).toBe(0);
  });
});

describe('Orchestrator HTTP details', () => {
  it('answers HEAD on /healthz, names the allowed methods on a 405, and takes the path as sent', async () => {
    const { api } = await start();

    const head = await fetch(`${api}/healthz`, { method: 'HEAD' });
    const wrongMethod = await fetch(`${api}/v1/chat`, {
      method: 'PUT',
      headers: { 'x-api-key': 'good-key' },
    });
    const doubled = await post(`${api}//v1/chat`, '{}');
    const elsewhere = await post(`${api}//x/v1/chat`, '{}');

    expect(head.status).toBe(200);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect([doubled.status, elsewhere.status]).toEqual([404, 404]);
  });
});

describe('Orchestrator activity', () => {
  it('reports its open streams and requests on its interval, the figure the service scales on', async () => {
    const emitted: MetricSet[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { route } = streamOf(1, () => held);
    const { api, server } = await start({
      routes: { 'POST /v1/chat/stream': route },
      activity: {
        metrics: { emit: (set) => emitted.push(set) },
        dimensions: { Stage: 'dev' },
        intervalMs: 20,
      },
    });
    const answer = post(`${api}/v1/chat/stream`, '{}');
    await expect.poll(() => server.activeStreams, { message: 'the stream never opened' }).toBe(1);

    await expect
      .poll(() => emitted.at(-1)?.metrics, { message: 'no report while the stream was open' })
      .toEqual([
        { name: 'ActiveStreams', unit: 'Count', value: 1 },
        { name: 'OpenRequests', unit: 'Count', value: 1 },
        { name: 'OverloadRefusals', unit: 'Count', value: 0 },
      ]);
    expect(emitted.at(-1)).toMatchObject({
      namespace: 'MangaAssist/Orchestrator',
      dimensions: { Stage: 'dev' },
    });
    release();
    await (await answer).text();
    await expect.poll(() => server.activeStreams, { message: 'the stream never closed' }).toBe(0);
    server.reportActivity();
    expect(emitted.at(-1)?.metrics).toEqual([
      { name: 'ActiveStreams', unit: 'Count', value: 0 },
      { name: 'OpenRequests', unit: 'Count', value: 0 },
      { name: 'OverloadRefusals', unit: 'Count', value: 0 },
    ]);
  });
});

/** A stream that begins its answer once `begin` opens and ends once `finish` opens. */
function heldStream(begin: Promise<void>, finish: Promise<void>): OrchestratorRoute {
  return {
    kind: 'streaming',
    endpoint: async (request, response) => {
      await begin;
      response.start(200, sseHeaders(request.requestId));
      await response.write(sseEvent({ text: 'first' }));
      await finish;
      await response.write(sseEvent('[DONE]'));
      await response.end();
    },
  };
}

describe('Orchestrator admission', () => {
  it('lets a burst past its limit wait, then refuses it with 503 overloaded, and counts it', async () => {
    const begin = gate();
    const emitted: MetricSet[] = [];
    const { api, server } = await start({
      routes: {
        'POST /v1/chat/stream': heldStream(begin.opened, Promise.resolve()),
        'POST /v1/other': heldStream(Promise.resolve(), Promise.resolve()),
      },
      admission: { limit: 1, maxWaitMs: 100 },
      activity: { metrics: { emit: (set) => emitted.push(set) }, dimensions: {}, intervalMs: 60_000 },
    });
    const starting = post(`${api}/v1/chat/stream`, '{}');
    await expect.poll(() => server.openRequests, { message: 'the first request never arrived' }).toBe(1);

    const refused = await post(`${api}/v1/other`, '{}');

    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      error: { code: 'overloaded', request_id: expect.any(String) },
    });
    server.reportActivity();
    expect(emitted.at(-1)?.metrics).toContainEqual({ name: 'OverloadRefusals', unit: 'Count', value: 1 });
    server.reportActivity();
    expect(emitted.at(-1)?.metrics).toContainEqual({ name: 'OverloadRefusals', unit: 'Count', value: 0 });
    begin.open();
    expect(await (await starting).text()).toContain('[DONE]');
  });

  it('admits the next request once the one before begins its answer, not once it ends', async () => {
    const begin = gate();
    const finish = gate();
    const { api, server } = await start({
      routes: {
        'POST /v1/chat/stream': heldStream(begin.opened, finish.opened),
        'POST /v1/other': heldStream(Promise.resolve(), Promise.resolve()),
      },
      admission: { limit: 1, maxWaitMs: 10_000 },
    });
    const streaming = post(`${api}/v1/chat/stream`, '{}');
    await expect.poll(() => server.openRequests, { message: 'the stream never arrived' }).toBe(1);
    const waiting = post(`${api}/v1/other`, '{"n":2}');
    await expect.poll(() => server.openRequests, { message: 'the second request never arrived' }).toBe(2);

    begin.open();
    const answer = await settlesWithin(waiting, 5_000, 'the waiting request');

    expect(answer.status).toBe(200);
    expect(server.activeStreams).toBe(1);
    finish.open();
    expect(await (await streaming).text()).toContain('[DONE]');
    await expect
      .poll(() => server.startingRequests, { message: 'an admission was never given back' })
      .toBe(0);
  });

  it('admits streams apart from whole answers: a whole answer waiting on its model holds no stream back', async () => {
    const answering = gate();
    const slowWhole: OrchestratorRoute = {
      kind: 'whole',
      endpoint: async (request) => {
        await answering.opened;
        return jsonResponse(200, request.requestId, {});
      },
    };
    const { api, server } = await start({
      routes: {
        'POST /v1/chat/stream': heldStream(Promise.resolve(), Promise.resolve()),
        'POST /v1/summarize': slowWhole,
      },
      admission: { limit: 1, maxWaitMs: 100 },
    });
    const whole = post(`${api}/v1/summarize`, '{}');
    await expect.poll(() => server.startingRequests, { message: 'the whole answer never started' }).toBe(1);

    const streamed = await post(`${api}/v1/chat/stream`, '{}');

    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('[DONE]');
    answering.open();
    expect((await whole).status).toBe(200);
  });

  it('answers a request still waiting at the end of a drain with 503 server_shutting_down', async () => {
    const begin = gate();
    const emitted: MetricSet[] = [];
    const called: string[] = [];
    const recorded: OrchestratorRoute = {
      kind: 'streaming',
      endpoint: async (request, response) => {
        called.push(request.requestId);
        response.start(200, sseHeaders(request.requestId));
        await response.end();
      },
    };
    const { api, server, logger } = await start({
      routes: {
        'POST /v1/chat/stream': heldStream(begin.opened, Promise.resolve()),
        'POST /v1/other': recorded,
      },
      admission: { limit: 1, maxWaitMs: 10_000 },
      activity: { metrics: { emit: (set) => emitted.push(set) }, dimensions: {}, intervalMs: 60_000 },
    });
    const starting = post(`${api}/v1/chat/stream`, '{}');
    await expect.poll(() => server.openRequests, { message: 'the stream never arrived' }).toBe(1);
    const waiting = post(`${api}/v1/other`, '{}');
    await expect.poll(() => server.openRequests, { message: 'the second request never arrived' }).toBe(2);

    await server.shutdown({ drainMs: 20 });

    for (const answer of [await waiting, await starting]) {
      expect(answer.status).toBe(503);
      expect(await answer.json()).toMatchObject({ error: { code: 'server_shutting_down' } });
    }
    begin.open();
    // Answered once, by the drain: not also refused as overloaded, nor asked of the model (the
    // cut stream's slot goes to it as the drain ends).
    expect(called).toEqual([]);
    await expect
      .poll(() => server.startingRequests, { message: 'an admission was never given back' })
      .toBe(0);
    expect(logger.entries.filter((entry) => entry.level === 'error')).toEqual([]);
    server.reportActivity();
    expect(emitted.at(-1)?.metrics).toContainEqual({ name: 'OverloadRefusals', unit: 'Count', value: 0 });
  });
});

describe('Orchestrator health and readiness', () => {
  it('is alive and ready when every required probe answers, listing each', async () => {
    const { api, proxy } = await start({
      probes: [
        { name: 'sessions', required: true, check: async () => {} },
        {
          name: 'cache',
          required: false,
          check: async () => {
            throw new Error('connection refused');
          },
        },
      ],
    });

    for (const url of [api, proxy]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { sessions: 'ok', cache: 'unreachable: connection refused' },
      });
    }
  });

  it('is unready when a required probe fails or does not answer in time', async () => {
    const { api } = await start({
      probeTimeoutMs: 50,
      probes: [{ name: 'sessions', required: true, check: () => new Promise(() => {}) }],
    });

    const ready = await fetch(`${api}/readyz`);

    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'unready',
      checks: { sessions: 'unreachable: no answer within 50 ms' },
    });
  });
});

describe('Orchestrator shutdown', () => {
  it('fails readiness at once and still answers requests while it lingers, asking clients to reconnect', async () => {
    const { api, server } = await start();

    const stopping = server.shutdown({ drainMs: 5_000, lingerMs: 1_500 });
    const ready = await fetch(`${api}/readyz`);
    const answered = await post(`${api}/v1/chat`, '{}');

    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('connection')).toBe('close');
    await stopping;
    await expect(fetch(`${api}/healthz`)).rejects.toThrow();
  });

  it('lets an open stream finish within the drain', async () => {
    const release = gate();
    const { route } = streamOf(2, () => release.opened);
    const { api, server } = await start({ routes: { 'POST /v1/chat/stream': route } });
    const answer = await post(`${api}/v1/chat/stream`, '{}');

    const stopping = server.shutdown({ drainMs: 5_000 });
    // Well into the drain, and still answered whole.
    setTimeout(release.open, 200);
    const text = await answer.text();
    await stopping;

    expect(text).toBe('data: {"text":"t0"}\n\ndata: {"text":"t1"}\n\ndata: [DONE]\n\n');
  });

  it('ends a stream still open at the end of the drain with an error event and [DONE]', async () => {
    const first = gate();
    let calls = 0;
    const { route } = streamOf(3, async () => {
      calls++;
      if (calls > 1) await new Promise(() => {});
      await first.opened;
    });
    const { api, server } = await start({ routes: { 'POST /v1/chat/stream': route } });
    const answer = await post(`${api}/v1/chat/stream`, '{}');
    first.open();

    await server.shutdown({ drainMs: 200 });
    const text = await answer.text();

    const events = text
      .split('\n\n')
      .filter(Boolean)
      .map((line) => line.replace(/^data: /, ''));
    expect(events[0]).toBe('{"text":"t0"}');
    expect(JSON.parse(events[1] ?? '{}')).toMatchObject({ type: 'error', code: 'server_shutting_down' });
    expect(events.slice(2)).toEqual(['[DONE]']);
  });

  it('adds nothing to a stream that sent [DONE] and is still ending when the drain runs out', async () => {
    const { api, server } = await start({
      routes: {
        'POST /v1/chat/stream': {
          kind: 'streaming',
          endpoint: async (request, response) => {
            response.start(200, sseHeaders(request.requestId));
            await response.write(sseEvent({ text: 'whole' }));
            await response.write(sseEvent('[DONE]'));
            // Still sending its events when the drain runs out.
            await new Promise(() => {});
          },
        },
      },
    });
    const answer = await post(`${api}/v1/chat/stream`, '{}');

    await server.shutdown({ drainMs: 100 });

    expect(await answer.text()).toBe('data: {"text":"whole"}\n\ndata: [DONE]\n\n');
  });

  it('answers 503 to a request still sending its body when the drain ends', async () => {
    const { api, server } = await start();
    const url = new URL(`${api}/v1/chat`);
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'x-api-key': 'good-key', 'content-length': '1000' },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      // Half the body, and the rest never.
      request.write('x'.repeat(500));
    });
    await expect.poll(() => server.openRequests, { message: 'the request never arrived' }).toBe(1);

    await server.shutdown({ drainMs: 100 });

    const { status, body } = await settlesWithin(answered, 5_000, 'the half-sent request’s answer');
    expect(status).toBe(503);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'server_shutting_down' } });
  });

  it('stops within its cut grace even when a client takes nothing of its stream', async () => {
    // 64 KB events: the socket's buffers fill within milliseconds.
    const big = sseEvent({ text: 'x'.repeat(64 * 1024) });
    const route: OrchestratorRoute = {
      kind: 'streaming',
      endpoint: async (request, response, signal) => {
        response.start(200, sseHeaders(request.requestId));
        while (!signal?.aborted) await response.write(big);
        await response.end();
      },
    };
    const { api, server } = await start({
      routes: { 'POST /v1/chat/stream': route },
      stallTimeoutMs: 60_000,
    });
    const url = new URL(`${api}/v1/chat/stream`);
    const client = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { 'x-api-key': 'good-key' },
    });
    client.on('error', () => {});
    // A client that connects and never reads what it is sent.
    client.on('response', (response) => response.pause());
    client.end('{}');
    await expect.poll(() => server.openRequests, { message: 'the stream never started' }).toBe(1);

    await settlesWithin(server.shutdown({ drainMs: 100, cutGraceMs: 200 }), 10_000, 'the shutdown');

    client.destroy();
  });

  it('answers 503 to a request not answered by the end of the drain, never cutting it silently', async () => {
    const { api, server } = await start({
      routes: {
        'POST /v1/chat': { kind: 'whole', endpoint: () => new Promise(() => {}) },
        'POST /v1/chat/stream': {
          kind: 'streaming',
          endpoint: async (request, response, signal) => {
            // Waits for a first token that never comes, then answers as the chat endpoint would.
            await new Promise((resolve) => signal?.addEventListener('abort', resolve));
            const whole = errorResponse(499, request.requestId, 'aborted', 'gone');
            response.start(whole.statusCode, whole.headers);
            await response.write(whole.body);
            await response.end();
          },
        },
      },
    });
    const whole = post(`${api}/v1/chat`, '{}');
    const stream = post(`${api}/v1/chat/stream`, '{}');
    await expect.poll(() => server.openRequests, { message: 'the requests never arrived' }).toBe(2);

    await server.shutdown({ drainMs: 100 });

    for (const answer of [await whole, await stream]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(await answer.json()).toMatchObject({ error: { code: 'server_shutting_down' } });
    }
  });
});
