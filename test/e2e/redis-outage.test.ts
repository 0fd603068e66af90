// `pnpm dev` on a real Redis (REDIS_URL) through a proxy whose link the test cuts: a Redis
// outage as the platform meets it deployed. Chat, SSE and WebSocket chat keep working — tickets
// come from the tickets table while Redis is down — and Redis is used again once it is back.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { startTcpProxy, type TcpProxy } from '@mangaassist/commons/testing';
import { chatResponseSchema, type ServerFrame, serverFrameSchema } from '@mangaassist/contracts';
import { fallbackTicketPrefix } from '@mangaassist/tenants';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { useDevServer } from './support.js';

const redisAddress = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').host;
let proxy: TcpProxy;

beforeAll(async () => {
  proxy = await startTcpProxy(redisAddress);
});
const dev = useDevServer(() => ({ redisUrl: `redis://127.0.0.1:${proxy.port}` }));
afterAll(async () => {
  await proxy.close();
});

const post = (path: string, body?: unknown) =>
  fetch(`${dev().url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': dev().apiKey },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const question = () => ({ messages: [{ role: 'user', content: `Redis outage ${randomUUID()}` }] });

async function chat() {
  const response = await post('/v1/chat', question());
  expect(response.status).toBe(200);
  return chatResponseSchema.parse(await response.json());
}

async function ticket(): Promise<string> {
  const response = await post('/v1/ws-tickets');
  expect(response.status).toBe(201);
  return ((await response.json()) as { ticket: string }).ticket;
}

/** Opens a WebSocket with a fresh ticket, sends one message and returns every frame up to its end. */
async function webSocketTurn(): Promise<{ ticket: string; frames: ServerFrame[] }> {
  const issued = await ticket();
  const socket = new WebSocket(`${dev().url.replace(/^http/, 'ws')}/ws?ticket=${encodeURIComponent(issued)}`);
  try {
    await once(socket, 'open');
    const frames: ServerFrame[] = [];
    const ended = new Promise<void>((resolve) => {
      socket.on('message', (data: Buffer) => {
        const frame = serverFrameSchema.parse(JSON.parse(data.toString('utf8')));
        frames.push(frame);
        if (frame.type === 'complete' || frame.type === 'error') resolve();
      });
    });
    socket.send(JSON.stringify({ action: 'sendMessage', data: { message: `こんにちは ${randomUUID()}` } }));
    await ended;
    return { ticket: issued, frames };
  } finally {
    socket.terminate();
  }
}

const issuedFromRedis = (issued: string) => !issued.startsWith(fallbackTicketPrefix);

describe('pnpm dev through a Redis outage', () => {
  it('answers chat, SSE and WebSocket chat while Redis is down, and uses Redis again once it is back', async () => {
    expect(await chat()).toMatchObject({ degraded: false });
    // Redis-backed while Redis is up. A ticket can still fall back for a moment (a Redis command
    // past its bound while the machine is loaded, which fails open by design): Redis must win soon.
    await vi.waitFor(
      async () =>
        expect(issuedFromRedis(await ticket()), 'tickets keep coming from the fallback table').toBe(true),
      { timeout: 10_000, interval: 100 },
    );
    expect(issuedFromRedis((await webSocketTurn()).ticket)).toBe(true);

    proxy.cut();
    try {
      expect(await chat()).toMatchObject({ degraded: false });
      const stream = await post('/v1/chat/stream', question());
      expect(stream.status).toBe(200);
      expect(await stream.text()).toMatch(/data: \[DONE\]\n\n$/);
      const during = await webSocketTurn();
      expect(during.ticket.startsWith(fallbackTicketPrefix)).toBe(true);
      expect(during.frames.at(-1)).toMatchObject({ type: 'complete', degraded: false });
    } finally {
      proxy.restore();
    }

    await expect
      .poll(async () => (await ticket()).startsWith(fallbackTicketPrefix), { timeout: 10_000, interval: 200 })
      .toBe(false);
    expect(await chat()).toMatchObject({ degraded: false });
  });
});
