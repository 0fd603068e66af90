// The orchestrator's server as `pnpm orchestrator` runs it: its composition root (the chat core,
// the endpoints the Lambda doors adapt) over the Bedrock emulator, the embedded DynamoDB and the
// local bus, on two listeners.
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from './local-orchestrator.js';

let server: LocalOrchestrator;
let key = '';

beforeAll(async () => {
  server = await startLocalOrchestrator({ port: 0, proxyPort: 0 });
  key = server.apiKeys[0]?.key ?? '';
});

afterAll(async () => {
  await server.close();
});

const chat = (url: string, headers: Record<string, string>, message = 'おすすめの少年漫画は？') =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: message }] }),
  });

/** The `data:` payloads of an SSE body. */
function events(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

describe('the local orchestrator', () => {
  it('answers POST /v1/chat for the tenant of a dev key, and refuses a request without one', async () => {
    const answered = await chat(`${server.url}/v1/chat`, { 'x-api-key': key });
    const refused = await chat(`${server.url}/v1/chat`, {});

    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ text: expect.any(String), model: expect.any(String) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('streams POST /v1/chat/stream as Server-Sent Events to [DONE]', async () => {
    const answer = await chat(`${server.url}/v1/chat/stream`, { 'x-api-key': key });

    expect(answer.headers.get('content-type')).toContain('text/event-stream');
    const data = events(await answer.text());
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.filter((payload) => payload.startsWith('{"text"')).length).toBeGreaterThan(0);
    expect(JSON.parse(data.at(-2) ?? '{}')).toMatchObject({ type: 'usage' });
  });

  it('counts an FM proxy call to the calling service in its InferenceCompleted event', async () => {
    const answer = await chat(
      `${server.proxyUrl}/v1/chat`,
      { 'x-calling-service': 'recommender' },
      'proxy call',
    );

    expect(answer.status).toBe(200);
    await expect
      .poll(
        () =>
          server.aws.eventBridge.bus
            .list()
            .events.some(
              (event) =>
                event['detail-type'] === 'InferenceCompleted' &&
                (event.detail as { tenant_id?: string }).tenant_id === 'svc-recommender',
            ),
        { message: 'no InferenceCompleted counted to svc-recommender' },
      )
      .toBe(true);
  });

  it('is ready with its session store reachable', async () => {
    const ready = await fetch(`${server.proxyUrl}/readyz`);

    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { sessions: 'ok' } });
  });
});

describe('the local orchestrator stopping', () => {
  it('ends a stream still running at the end of its drain with server_shutting_down and [DONE]', async () => {
    const slow = await startLocalOrchestrator({
      port: 0,
      proxyPort: 0,
      // About 40 tokens at 100 ms each: far longer than the drain.
      emulator: { latency: { tokenDelayMs: 100 } },
    });
    const answer = await chat(`${slow.url}/v1/chat/stream`, { 'x-api-key': slow.apiKeys[0]?.key ?? '' });
    const reader = answer.body?.getReader();
    if (!reader) throw new Error('no body');
    const received: string[] = [];
    const first = await reader.read();
    received.push(new TextDecoder().decode(first.value));

    const closing = slow.close(300);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      received.push(new TextDecoder().decode(chunk.value));
    }
    await closing;

    const data = events(received.join(''));
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data.at(-2) ?? '{}')).toMatchObject({ type: 'error', code: 'server_shutting_down' });
    expect(data.some((payload) => payload.startsWith('{"text"'))).toBe(true);
  });
});

describe('the local orchestrator traced', () => {
  it('traces a chat request with its model call under it, as the container does', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const traced = await startLocalOrchestrator({
      port: 0,
      proxyPort: 0,
      tracing: { tracer: provider.getTracer('test'), propagator: new W3CTraceContextPropagator() },
    });
    try {
      const answer = await chat(`${traced.url}/v1/chat`, { 'x-api-key': traced.apiKeys[0]?.key ?? '' });
      expect(answer.status).toBe(200);
      await answer.text();
      await expect
        .poll(() => exporter.getFinishedSpans().length, { message: 'the request span never ended' })
        .toBeGreaterThanOrEqual(2);
    } finally {
      await traced.close();
    }

    const spans = exporter.getFinishedSpans();
    const request = spans.find((span) => span.name === 'POST /v1/chat');
    const model = spans.find((span) => span.name.startsWith('chat '));
    expect(model?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(model?.attributes).toMatchObject({
      'cloud.region': 'ap-northeast-1',
      'mangaassist.attempt.outcome': 'success',
    });
  });
});
