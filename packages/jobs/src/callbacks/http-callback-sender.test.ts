import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallbackResponse } from './callback-sender.js';
import { HttpCallbackSender } from './http-callback-sender.js';

interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Receiver {
  /** `http://127.0.0.1:<port><path>` */
  url(path?: string): string;
  readonly received: ReceivedRequest[];
  /** Connections accepted so far, answered or not. */
  connectionsAccepted(): number;
  /** Connections accepted and not yet closed. */
  connectionsOpen(): number;
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A real HTTP server on 127.0.0.1 that records each request, then lets `reply` answer it (or not). */
async function startReceiver(reply: (request: IncomingMessage, response: ServerResponse) => void) {
  const received: ReceivedRequest[] = [];
  let accepted = 0;
  let open = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      reply(request, response);
    });
  });
  server.on('connection', (socket) => {
    accepted += 1;
    open += 1;
    socket.on('close', () => {
      open -= 1;
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  closers.push(
    () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the receiver has no TCP port');
  const receiver: Receiver = {
    url: (path = '/callbacks') => `http://127.0.0.1:${address.port}${path}`,
    received,
    connectionsAccepted: () => accepted,
    connectionsOpen: () => open,
  };
  return receiver;
}

/** Posts, failing with a message (not a hang) if the outcome takes more than 5 s. */
async function post(
  sender: HttpCallbackSender,
  url: string,
  body = '{"type":"job.completed"}',
  headers: Record<string, string> = {},
): Promise<CallbackResponse> {
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`post(${url}) did not settle within 5000 ms`)), 5_000);
  });
  try {
    return await Promise.race([sender.post(url, body, headers), hung]);
  } finally {
    clearTimeout(guard);
  }
}

const localSender = (options: ConstructorParameters<typeof HttpCallbackSender>[0] = {}) =>
  new HttpCallbackSender({ allowLoopbackHttp: true, ...options });

describe('HttpCallbackSender', () => {
  it('delivers on a 2xx, sending the exact body with the given and its own headers', async () => {
    const receiver = await startReceiver((_, response) => response.writeHead(204).end());
    const body = JSON.stringify({ type: 'job.completed', data: { title: 'ワンピース 第1巻' } });

    const outcome = await post(localSender(), receiver.url('/hooks?tenant=t1'), body, {
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,c2lnbmF0dXJl',
    });

    expect(outcome).toEqual({ delivered: true, status: 204 });
    expect(receiver.received).toEqual([
      {
        method: 'POST',
        path: '/hooks?tenant=t1',
        body,
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'MangaAssist-Callbacks/1',
          'webhook-id': 'msg_1',
          'webhook-timestamp': '1700000000',
          'webhook-signature': 'v1,c2lnbmF0dXJl',
        }),
      },
    ]);
  });

  it('sends the configured user agent and keeps its own content type over a caller-given one', async () => {
    const receiver = await startReceiver((_, response) => response.writeHead(200).end('ok'));

    await post(localSender({ userAgent: 'Test/2' }), receiver.url(), '{}', { 'Content-Type': 'text/plain' });

    expect(receiver.received[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Test/2',
    });
  });

  it('reports a 500 as not delivered with its status and without the body', async () => {
    const receiver = await startReceiver((_, response) => response.writeHead(500).end('stack trace: secret'));

    const outcome = await post(localSender(), receiver.url());

    expect(outcome).toEqual({ delivered: false, status: 500, reason: 'receiver answered 500' });
  });

  it('does not follow a 302, so its target is never requested', async () => {
    const receiver = await startReceiver((request, response) => {
      if (request.url === '/start') response.writeHead(302, { location: '/target' }).end();
      else response.writeHead(200).end();
    });

    const outcome = await post(localSender(), receiver.url('/start'));

    expect(outcome).toEqual({ delivered: false, status: 302, reason: expect.stringContaining('redirect') });
    expect(receiver.received.map((request) => request.path)).toEqual(['/start']);
  });

  it('gives up on a receiver that never answers when the timeout runs out, closing the connection', async () => {
    const receiver = await startReceiver(() => {
      // Never answers.
    });

    const outcome = await post(localSender({ timeoutMs: 200 }), receiver.url());

    expect(outcome).toEqual({ delivered: false, status: 0, reason: 'timed out after 200 ms' });
    await vi.waitFor(() => expect(receiver.connectionsOpen(), 'connections left open').toBe(0));
  });

  it('keeps the status of a receiver whose body never ends, reading no more than maxResponseBytes', async () => {
    const receiver = await startReceiver((_, response) => {
      response.writeHead(200);
      response.write(Buffer.alloc(64 * 1024, 'x'));
      // Never ends the body: only the byte limit can end the exchange before the 10 s timeout.
    });

    const outcome = await post(localSender({ maxResponseBytes: 1024 }), receiver.url());

    expect(outcome).toEqual({ delivered: true, status: 200 });
    await vi.waitFor(() => expect(receiver.connectionsOpen(), 'connections left open').toBe(0));
  });

  it('reports a refused connection with status 0', async () => {
    const receiver = await startReceiver((_, response) => response.end());
    const url = receiver.url();
    await Promise.all(closers.splice(0).map((close) => close()));

    const outcome = await post(localSender(), url);

    expect(outcome).toEqual({ delivered: false, status: 0, reason: 'connection refused' });
  });

  it('refuses a local http URL before connecting when loopback is not allowed', async () => {
    const receiver = await startReceiver((_, response) => response.end());
    const resolve = vi.fn(async () => ['127.0.0.1']);

    const outcome = await post(new HttpCallbackSender({ resolve }), receiver.url());

    expect(outcome).toEqual({ delivered: false, status: 0, reason: 'refused: must use https' });
    expect(receiver.connectionsAccepted()).toBe(0);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('connects to the address its lookup checked', async () => {
    const receiver = await startReceiver((_, response) => response.end());
    const resolve = vi.fn(async () => ['127.0.0.1']);
    const port = new URL(receiver.url()).port;

    const outcome = await post(localSender({ resolve }), `http://localhost:${port}/callbacks`);

    expect(outcome).toEqual({ delivered: true, status: 200 });
    expect(resolve).toHaveBeenCalledWith('localhost');
  });

  it('refuses at lookup a hostname that resolves to a private address, never connecting', async () => {
    const receiver = await startReceiver((_, response) => response.end());
    const port = new URL(receiver.url()).port;

    const outcome = await post(
      localSender({ resolve: async () => ['10.0.0.5'] }),
      `http://localhost:${port}/callbacks`,
    );

    expect(outcome).toEqual({
      delivered: false,
      status: 0,
      reason: 'refused: host localhost resolves to a non-public address',
    });
    expect(receiver.connectionsAccepted()).toBe(0);
  });

  it('refuses a hostname when any one of its addresses is not public', async () => {
    const resolve = vi.fn(async () => ['8.8.8.8', '169.254.169.254']);

    const outcome = await post(new HttpCallbackSender({ resolve }), 'https://callbacks.example.com/hook');

    expect(outcome).toEqual({
      delivered: false,
      status: 0,
      reason: 'refused: host callbacks.example.com resolves to a non-public address',
    });
    expect(resolve).toHaveBeenCalledWith('callbacks.example.com');
  });

  it('refuses a deployed hostname that resolves to loopback', async () => {
    const outcome = await post(
      new HttpCallbackSender({ resolve: async () => ['::1'] }),
      'https://callbacks.example.com/hook',
    );

    expect(outcome).toMatchObject({
      delivered: false,
      status: 0,
      reason: expect.stringContaining('non-public'),
    });
  });

  it('reports a hostname without addresses as not found', async () => {
    const outcome = await post(
      new HttpCallbackSender({ resolve: async () => [] }),
      'https://callbacks.example.com/hook',
    );

    expect(outcome).toEqual({ delivered: false, status: 0, reason: 'host not found' });
  });

  it('gives up on a lookup that never answers when the timeout runs out', async () => {
    const sender = new HttpCallbackSender({ timeoutMs: 100, resolve: () => new Promise(() => {}) });

    const outcome = await post(sender, 'https://callbacks.example.com/hook');

    expect(outcome).toEqual({ delivered: false, status: 0, reason: 'timed out after 100 ms' });
  });

  it('refuses a header value HTTP forbids without throwing or connecting', async () => {
    const receiver = await startReceiver((_, response) => response.end());

    const outcome = await post(localSender(), receiver.url(), '{}', { 'webhook-id': 'a\r\nx-injected: 1' });

    expect(outcome).toMatchObject({
      delivered: false,
      status: 0,
      reason: expect.stringContaining('request failed'),
    });
    expect(receiver.received).toEqual([]);
  });
});
