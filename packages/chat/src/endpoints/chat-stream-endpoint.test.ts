import { awsError, createFakeClock, type FakeClock } from '@mangaassist/commons/testing';
import { sseErrorSchema, sseUsageSchema } from '@mangaassist/contracts';
import type { GatewayResult, GatewayStreamEvent } from '@mangaassist/fm-gateway';
import { estimateTokens, FmGateway, loadModelCatalog, ModelRouter } from '@mangaassist/fm-gateway';
import { createFakeRuntimes, type FakeReply } from '@mangaassist/fm-gateway/testing';
import type { HttpRequest, StreamingResponse } from '@mangaassist/http';
import type { TenantBudget } from '@mangaassist/tenants';
import { describe, expect, it } from 'vitest';
import { ChatService } from '../chat-service.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import { makeChatRequestParser } from './chat-endpoint.js';
import { makeChatStreamEndpoint } from './chat-stream-endpoint.js';

const catalog = loadModelCatalog();
const parse = makeChatRequestParser({ catalog });

interface SetupOptions {
  readonly degradedAnswer?: false;
  readonly budget?: TenantBudget;
}

function setup(
  reply: () => FakeReply = () => ({ deltas: ['こんにちは', '、', '元気です'] }),
  options: SetupOptions = {},
) {
  const clock = createFakeClock();
  const router = new ModelRouter({ catalog, estimateTokens });
  const runtimes = createFakeRuntimes(reply, clock);
  const gateway = new FmGateway({
    catalog,
    runtimes: runtimes.provider,
    selectModel: (request) => router.route(request),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
    random: () => 0,
    ...(options.degradedAnswer === false ? { degradedAnswer: false as const } : {}),
  });
  const chat = new ChatService({
    gateway,
    sessions: new MemorySessionStore(),
    ...(options.budget ? { budget: options.budget } : {}),
  });
  const endpoint = makeChatStreamEndpoint({ chat, parse, clock });
  return { endpoint, clock, runtimes };
}

/** A `StreamingResponse` that records what the endpoint sends; `onWrite` sees each chunk. */
function recordingResponse(onWrite: (chunk: string) => void = () => {}) {
  const sent = {
    statusCode: undefined as number | undefined,
    headers: {} as Record<string, string>,
    chunks: [] as string[],
    ended: false,
    writesBeforeStart: 0,
    writesAfterEnd: 0,
  };
  const response: StreamingResponse = {
    start(statusCode, headers) {
      if (sent.statusCode !== undefined) throw new Error('started twice');
      sent.statusCode = statusCode;
      sent.headers = { ...headers };
    },
    async write(chunk) {
      if (sent.statusCode === undefined) sent.writesBeforeStart += 1;
      if (sent.ended) sent.writesAfterEnd += 1;
      sent.chunks.push(chunk);
      onWrite(chunk);
    },
    async end() {
      sent.ended = true;
    },
  };
  return { response, sent };
}

function post(
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): HttpRequest {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method: 'POST',
    path: '/v1/chat/stream',
    headers,
    body: new TextEncoder().encode(text),
    requestId: 'req-1',
    tenantId: 'tenant-a',
  };
}

const hello = { messages: [{ role: 'user', content: 'こんにちは' }] };

/** The `data:` payloads of a recorded stream, in order. */
function dataOf(chunks: readonly string[]): string[] {
  return chunks
    .join('')
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

const allowedBudget = (allowed: boolean): TenantBudget => ({
  check: async () =>
    allowed ? { allowed: true } : { allowed: false, spentUsd: 5.2, budgetUsd: 5, retryAfterSeconds: 3600 },
  record: async () => {},
});

function gatewayResult(overrides: Partial<GatewayResult> = {}): GatewayResult {
  return {
    requestId: 'req-1',
    text: 'a',
    model: 'claude-haiku-4-5',
    modelId: 'jp.anthropic.claude-haiku-4-5',
    region: 'ap-northeast-1',
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    costUsd: 0.0001,
    latencyMs: 20_000,
    cached: false,
    stale: false,
    degraded: false,
    routing: { requested: 'auto', model: 'claude-haiku-4-5', reason: 'auto:simple' },
    attempts: [],
    ...overrides,
  };
}

/** A chat service stand-in that yields one delta, then stays quiet for `quietMs` before completing. */
function quietChat(clock: FakeClock, quietMs: number) {
  return {
    async *stream(): AsyncGenerator<GatewayStreamEvent> {
      yield { type: 'delta', text: 'a' };
      await clock.sleep(quietMs);
      yield { type: 'complete', result: gatewayResult() };
    },
  };
}

describe('POST /v1/chat/stream', () => {
  it('sends each delta as its own data event, then one usage event, then [DONE]', async () => {
    const { endpoint } = setup();
    const { response, sent } = recordingResponse();
    await endpoint(post(hello), response);

    expect(sent.statusCode).toBe(200);
    expect(sent.headers).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': 'req-1',
    });
    expect(sent.chunks.slice(0, 3)).toEqual([
      'data: {"text":"こんにちは"}\n\n',
      'data: {"text":"、"}\n\n',
      'data: {"text":"元気です"}\n\n',
    ]);
    expect(sent.chunks[3]).toMatch(/^data: \{"type":"usage",.*\}\n\n$/);
    expect(sent.chunks.slice(4)).toEqual(['data: [DONE]\n\n']);
    expect(sent.ended).toBe(true);
    expect(sent.writesAfterEnd).toBe(0);
  });

  it('reports the model, tokens, cost, latency and time to first token in the usage event', async () => {
    const { endpoint } = setup();
    const { response, sent } = recordingResponse();
    await endpoint(post({ ...hello, session_id: 'session-0001' }), response);

    const usage = sseUsageSchema.parse(JSON.parse(dataOf(sent.chunks)[3] ?? ''));
    expect(usage).toMatchObject({
      type: 'usage',
      request_id: 'req-1',
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 0, cache_write_input_tokens: 0 },
      model: 'claude-haiku-4-5',
      region: 'ap-northeast-1',
      cached: false,
      degraded: false,
      session_id: 'session-0001',
      stored: true,
    });
    expect(usage.cost_usd).toBeGreaterThan(0);
    expect(usage.ttft_ms).toEqual(expect.any(Number));
  });

  it('answers bad input with the same JSON 4xx as POST /v1/chat, before any event and any model call', async () => {
    const cases: [HttpRequest, number, string][] = [
      [post('{"messages": ['), 400, 'malformed_json'],
      [post({ messages: [] }), 400, 'validation_failed'],
      [post(hello, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      [post({ messages: [{ role: 'user', content: 'a\u0000b' }] }), 422, 'content_rejected'],
    ];
    for (const [request, status, code] of cases) {
      const { endpoint, runtimes } = setup();
      const { response, sent } = recordingResponse();
      await endpoint(request, response);
      expect(sent.statusCode).toBe(status);
      expect(sent.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(sent.chunks.join(''))).toMatchObject({ error: { code, request_id: 'req-1' } });
      expect(sent.ended).toBe(true);
      expect(runtimes.calls).toHaveLength(0);
    }
  });

  it('answers 429 with Retry-After, without calling a model, when the tenant budget is spent', async () => {
    const { endpoint, runtimes } = setup(undefined, { budget: allowedBudget(false) });
    const { response, sent } = recordingResponse();
    await endpoint(post(hello), response);
    expect(sent.statusCode).toBe(429);
    expect(sent.headers['retry-after']).toBe('3600');
    expect(JSON.parse(sent.chunks.join(''))).toMatchObject({ error: { code: 'budget_exhausted' } });
    expect(runtimes.calls).toHaveLength(0);
  });

  it('answers 429 before the stream when every model is throttled', async () => {
    const { endpoint } = setup(() => ({ error: awsError('ThrottlingException') }), { degradedAnswer: false });
    const { response, sent } = recordingResponse();
    await endpoint(post(hello), response);
    expect(sent.statusCode).toBe(429);
    expect(sent.headers['retry-after']).toBe('2');
    expect(JSON.parse(sent.chunks.join(''))).toMatchObject({ error: { code: 'throttled' } });
  });

  it('answers 503 before the stream when no model is available and the degraded answer is off', async () => {
    const { endpoint } = setup(() => ({ error: awsError('ServiceUnavailableException') }), {
      degradedAnswer: false,
    });
    const { response, sent } = recordingResponse();
    await endpoint(post(hello), response);
    expect(sent.statusCode).toBe(503);
    expect(JSON.parse(sent.chunks.join(''))).toMatchObject({ error: { code: 'model_unavailable' } });
  });

  it('streams the degraded answer, flagged in the usage event, when no model can answer', async () => {
    const { endpoint } = setup(() => ({ error: awsError('ServiceUnavailableException') }));
    const { response, sent } = recordingResponse();
    await endpoint(post(hello), response);
    expect(sent.statusCode).toBe(200);
    const data = dataOf(sent.chunks);
    expect(sseUsageSchema.parse(JSON.parse(data.at(-2) ?? ''))).toMatchObject({
      degraded: true,
      model: 'none',
    });
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('answers 504 before the stream when no first token arrives within the deadline', async () => {
    const { endpoint, clock } = setup(() => ({ delayMs: 60_000, reply: { deltas: ['遅い'] } }));
    const { response, sent } = recordingResponse();
    const done = endpoint(post(hello), response);
    await clock.advance(3_000);
    await done;
    expect(sent.statusCode).toBe(504);
    expect(JSON.parse(sent.chunks.join(''))).toMatchObject({ error: { code: 'deadline_exceeded' } });
  });

  it('turns a failure after the first token into an error event followed by [DONE], never a silent end', async () => {
    const { endpoint } = setup(() => ({
      deltas: ['一巻', 'と二巻'],
      error: awsError('ModelStreamErrorException'),
    }));
    const { response, sent } = recordingResponse();
    await endpoint(post(hello), response);

    expect(sent.statusCode).toBe(200);
    const data = dataOf(sent.chunks);
    expect(data.slice(0, 2)).toEqual(['{"text":"一巻"}', '{"text":"と二巻"}']);
    expect(sseErrorSchema.parse(JSON.parse(data[2] ?? ''))).toEqual({
      type: 'error',
      request_id: 'req-1',
      code: 'stream_interrupted',
      message: expect.any(String),
    });
    expect(data.slice(3)).toEqual(['[DONE]']);
    expect(sent.ended).toBe(true);
  });

  it('stops the model stream and writes nothing more when the client goes away mid-stream', async () => {
    const { endpoint, runtimes } = setup(() => ({ deltas: ['一', '二', '三', '四'] }));
    const client = new AbortController();
    const { response, sent } = recordingResponse(() => client.abort());
    await endpoint(post(hello), response, client.signal);

    expect(sent.chunks).toEqual(['data: {"text":"一"}\n\n']);
    expect(runtimes.streamsClosedEarly()).toBe(1);
    expect(sent.ended).toBe(true);
  });

  it('cancels the model call when the client goes away before the first token', async () => {
    const { endpoint, runtimes, clock } = setup(() => ({ delayMs: 1_000, reply: { deltas: ['一'] } }));
    const client = new AbortController();
    const { response, sent } = recordingResponse();
    const done = endpoint(post(hello), response, client.signal);
    await clock.advance(100);
    client.abort();
    await done;

    expect(runtimes.calls).toHaveLength(1);
    expect(sent.statusCode).toBe(499);
    expect(sent.chunks.join('')).not.toContain('data:');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('sends a keep-alive comment while the stream is quiet, then carries on', async () => {
    const clock = createFakeClock();
    const endpoint = makeChatStreamEndpoint({
      chat: quietChat(clock, 20_000),
      parse,
      clock,
      keepAliveMs: 15_000,
    });
    const { response, sent } = recordingResponse();
    const done = endpoint(post(hello), response);
    await clock.advance(20_000);
    await done;

    expect(sent.chunks[0]).toBe('data: {"text":"a"}\n\n');
    expect(sent.chunks[1]).toBe(': keep-alive\n\n');
    expect(dataOf(sent.chunks).slice(1)).toEqual([expect.stringContaining('"type":"usage"'), '[DONE]']);
    expect(clock.pendingSleeps).toBe(0);
  });
});
