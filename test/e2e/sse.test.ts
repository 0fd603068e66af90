// `POST /v1/chat/stream` through `pnpm dev`: the deployed streaming Lambda handler behind the
// local server, read over HTTP as a client reads Server-Sent Events, chunk by chunk.
import { randomUUID } from 'node:crypto';
import { sseErrorSchema, sseUsageSchema } from '@mangaassist/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useDevServer } from './support.js';

const dev = useDevServer();

beforeEach(() => {
  dev().server.emulator.resetStats();
});

afterEach(async () => {
  await dev().control('DELETE', '/_local/bedrock/faults');
  await dev().control('DELETE', '/_local/bedrock/scripts');
});

/** A unique prompt, so that no answer comes from another test's cache or script. */
const uniquePrompt = (text: string) => `${text} (ref ${randomUUID().slice(0, 8)})`;

/** Makes the emulated model answer prompts containing `prompt` with `text`. */
const script = (prompt: string, text: string) =>
  dev().control('POST', '/_local/bedrock/scripts', { match: prompt, text });

function streamChat(
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${dev().url}/v1/chat/stream`, {
    method: 'POST',
    headers: init.headers ?? { 'content-type': 'application/json', 'x-api-key': dev().apiKey },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

const question = (content: string) => ({ messages: [{ role: 'user', content }] });

/** The `data:` payloads of an event stream's text. */
const dataOf = (text: string): string[] =>
  text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));

/** Reads a response body chunk by chunk, as the network delivers it. */
function chunkReader(response: Response) {
  if (!response.body) throw new Error('the response has no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  return {
    /** The next chunk's text, or undefined at the end. */
    async next(): Promise<string | undefined> {
      const { done, value } = await reader.read();
      return done ? undefined : decoder.decode(value, { stream: true });
    },
    async rest(): Promise<string[]> {
      const chunks: string[] = [];
      for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) chunks.push(chunk);
      return chunks;
    },
    cancel: () => reader.cancel(),
  };
}

/** Polls until `condition` holds; bounds a hung test only (it asserts nothing about speed). */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

const answer = 'Volume one ships in May, volume two in June, and volume three before the end of summer.';

describe('POST /v1/chat/stream on pnpm dev', () => {
  it('streams an answer as several text events, then one usage event, then [DONE]', async () => {
    const prompt = uniquePrompt('When do the volumes ship?');
    await script(prompt, answer);
    const response = await streamChat(question(prompt));

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-request-id')).toEqual(expect.any(String));
    const data = dataOf(await response.text());
    const texts = data.slice(0, -2).map((payload) => (JSON.parse(payload) as { text: string }).text);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join('')).toBe(answer);
    const usage = sseUsageSchema.parse(JSON.parse(data.at(-2) ?? ''));
    expect(usage).toMatchObject({ model: 'claude-haiku-4-5', degraded: false, cached: false });
    expect(usage.request_id).toBe(response.headers.get('x-request-id'));
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('sends the first text event while the model is still producing tokens, not a buffered body', async () => {
    await dev().control('POST', '/_local/bedrock/faults', { tokenDelayMs: 80 });
    const prompt = uniquePrompt('Tell me about the release schedule.');
    await script(prompt, answer);
    const body = chunkReader(await streamChat(question(prompt)));

    let received = '';
    while (!received.includes('\n\n')) received += (await body.next()) ?? '';
    expect(received).toMatch(/^data: \{"text":/);
    expect(received).not.toContain('[DONE]');
    // The emulator counts a model call once its response is complete: this one is still going.
    expect(dev().server.emulator.stats().attempts).toBe(0);

    const later = (await body.rest()).join('');
    expect(later).toContain('data: {"type":"usage"');
    expect(later.endsWith('data: [DONE]\n\n')).toBe(true);
    await eventually(() => dev().server.emulator.stats().outcomes.ok === 1, 'the model call completed');
  });

  it('ends a stream that breaks after the first token with an error event and [DONE]', async () => {
    await dev().control('POST', '/_local/bedrock/faults', { error: 'ModelStreamErrorException' });
    const prompt = uniquePrompt('Which volume comes next?');
    await script(prompt, answer);
    const response = await streamChat(question(prompt));

    expect(response.status).toBe(200);
    const data = dataOf(await response.text());
    expect(JSON.parse(data[0] ?? '')).toEqual({ text: expect.any(String) });
    expect(sseErrorSchema.parse(JSON.parse(data.at(-2) ?? ''))).toMatchObject({ code: 'stream_interrupted' });
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.some((payload) => payload.includes('"type":"usage"'))).toBe(false);
  });

  it('stops the model call when the client goes away mid-stream', async () => {
    await dev().control('POST', '/_local/bedrock/faults', { tokenDelayMs: 80 });
    const prompt = uniquePrompt('Read me the whole catalogue.');
    await script(prompt, answer);
    const client = new AbortController();
    const body = chunkReader(await streamChat(question(prompt), { signal: client.signal }));

    expect(await body.next()).toMatch(/^data: \{"text":/);
    client.abort();
    await eventually(
      () => dev().server.emulator.stats().outcomes.aborted === 1,
      'the model call was aborted',
    );
    expect(dev().server.emulator.stats().outcomes.ok).toBeUndefined();
  });

  it('answers bad input with a JSON 4xx before any event', async () => {
    const json = { 'content-type': 'application/json', 'x-api-key': dev().apiKey };
    const cases: [string, Record<string, string>, number, string][] = [
      ['{"messages": [', json, 400, 'malformed_json'],
      [JSON.stringify({ messages: [] }), json, 400, 'validation_failed'],
      [
        JSON.stringify(question('hi')),
        { ...json, 'content-type': 'text/plain' },
        415,
        'unsupported_media_type',
      ],
      [JSON.stringify(question('a\u0000b')), json, 422, 'content_rejected'],
    ];
    for (const [body, headers, status, code] of cases) {
      const response = await streamChat(body, { headers });
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: { code } });
    }
    expect(dev().server.emulator.stats().attempts).toBe(0);
  });

  it('refuses a request without a valid x-api-key with a JSON 401, as the deployed authorizer does', async () => {
    const withoutValidKey: Record<string, string>[] = [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'x-api-key': 'not-a-key' },
    ];
    for (const headers of withoutValidKey) {
      const response = await streamChat(question(uniquePrompt('hi')), { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: expect.any(String) } });
    }
    expect(dev().server.emulator.stats().attempts).toBe(0);
  });
});
