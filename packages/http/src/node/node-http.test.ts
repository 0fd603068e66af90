import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../http.js';
import { nodeStreamingResponse, readRequestBody, sendHttpResponse, toHttpRequest } from './node-http.js';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A server answering with `handle`; resolves with its URL. */
async function serve(handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>) {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('toHttpRequest and readRequestBody', () => {
  it('gives the endpoint lower-case headers, every query value and the exact body bytes', async () => {
    let seen: HttpRequest | undefined;
    const url = await serve(async (request, response) => {
      const body = await readRequestBody(request, 1024);
      seen = toHttpRequest(request, body ?? new Uint8Array(), {
        path: '/v1/chat',
        requestId: 'req-1',
        tenantId: 'manga-store',
      });
      sendHttpResponse(response, { statusCode: 204, headers: {}, body: '' });
    });

    const answer = await fetch(`${url}/v1/chat?segment=a&segment=b&lang=ja`, {
      method: 'POST',
      headers: { 'X-Custom': 'one', 'content-type': 'application/json' },
      body: '{"message":"ワンピース"}',
    });

    expect(answer.status).toBe(204);
    expect(seen).toMatchObject({
      method: 'POST',
      path: '/v1/chat',
      requestId: 'req-1',
      tenantId: 'manga-store',
      query: { segment: ['a', 'b'], lang: ['ja'] },
      headers: { 'x-custom': 'one', 'content-type': 'application/json' },
    });
    expect(new TextDecoder().decode(seen?.body)).toBe('{"message":"ワンピース"}');
  });

  it('answers undefined for a body over the limit and still lets the connection answer', async () => {
    const url = await serve(async (request, response) => {
      const body = await readRequestBody(request, 10);
      sendHttpResponse(response, {
        statusCode: body === undefined ? 413 : 200,
        headers: { 'content-type': 'text/plain' },
        body: body === undefined ? 'too large' : 'ok',
      });
    });

    const large = await fetch(url, { method: 'POST', body: 'x'.repeat(100_000) });
    const small = await fetch(url, { method: 'POST', body: 'x'.repeat(10) });

    expect([large.status, await large.text()]).toEqual([413, 'too large']);
    expect([small.status, await small.text()]).toEqual([200, 'ok']);
  });
});

describe('nodeStreamingResponse', () => {
  it('sends the status and headers, then each chunk as it is written', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const url = await serve(async (_request, response) => {
      const stream = nodeStreamingResponse(response, { stallTimeoutMs: 5_000, onStall: () => {} });
      stream.start(200, { 'content-type': 'text/event-stream' });
      await stream.write('data: one\n\n');
      await held;
      await stream.write('data: two\n\n');
      await stream.end();
    });

    const answer = await fetch(url);
    const reader = answer.body?.getReader();
    if (!reader) throw new Error('no body');
    const first = await reader.read();

    expect(answer.headers.get('content-type')).toBe('text/event-stream');
    // The first chunk arrived while the endpoint still held the second.
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    release();
    const rest: string[] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest.push(new TextDecoder().decode(chunk.value));
    }
    expect(rest.join('')).toBe('data: two\n\n');
  });

  it('cuts a client that stops reading, calls onStall, and never rejects a write', async () => {
    let stalled = false;
    let writes: Promise<unknown> | undefined;
    const url = await serve(async (_request, response) => {
      const stream = nodeStreamingResponse(response, {
        stallTimeoutMs: 50,
        onStall: () => {
          stalled = true;
        },
      });
      stream.start(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      writes = (async () => {
        for (let index = 0; index < 1_000 && !stalled; index++) await stream.write(chunk);
        await stream.end();
        return 'settled';
      })();
      await writes;
    });

    // A client that connects and never reads.
    const client = httpRequest(url);
    client.on('error', () => {});
    client.on('response', (response) => response.pause());
    client.end();

    await expect
      .poll(() => stalled, { timeout: 10_000, message: 'the stalled client was never cut' })
      .toBe(true);
    await expect(writes).resolves.toBe('settled');
    client.destroy();
  });

  it('refuses a second start: the status is sent once', async () => {
    let problem: unknown;
    const url = await serve(async (_request, response) => {
      const stream = nodeStreamingResponse(response, { stallTimeoutMs: 1_000, onStall: () => {} });
      stream.start(200, {});
      try {
        stream.start(500, {});
      } catch (error) {
        problem = error;
      }
      await stream.end();
    });

    expect((await fetch(url)).status).toBe(200);
    expect(problem).toBeInstanceOf(Error);
  });
});
