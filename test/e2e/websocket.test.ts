// The WebSocket chat through `pnpm dev`: the deployed `$connect`/`$disconnect` and message
// handlers behind the local gateway at `/ws`, driven as a browser would — a ticket from
// `POST /v1/ws-tickets`, then `ws://…/ws?ticket=…`.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { type ServerFrame, serverFrameSchema } from '@mangaassist/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { useDevServer } from './support.js';

const dev = useDevServer();
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await dev().control('DELETE', '/_local/bedrock/faults');
  await dev().control('DELETE', '/_local/bedrock/scripts');
});

/** Makes the emulated model answer prompts containing `match` with `text`. */
const script = (match: string, text: string) =>
  dev().control('POST', '/_local/bedrock/scripts', { match, text });

/** A single-use WebSocket ticket for the first dev tenant. */
async function newTicket(): Promise<string> {
  const response = await fetch(`${dev().url}/v1/ws-tickets`, {
    method: 'POST',
    headers: { 'x-api-key': dev().apiKey },
  });
  expect(response.status).toBe(201);
  const { ticket } = (await response.json()) as { ticket: string };
  return ticket;
}

const socketUrl = (query: string) => `${dev().url.replace(/^http/, 'ws')}/ws${query}`;

/** A connected client that keeps every frame it receives, parsed with the contract's schema. */
interface Client {
  readonly socket: WebSocket;
  readonly frames: ServerFrame[];
  readonly raw: string[];
  send(frame: unknown): void;
  /** Resolves with every frame so far once one satisfies `done`. */
  until(done: (frame: ServerFrame) => boolean): Promise<ServerFrame[]>;
}

async function connect(): Promise<Client> {
  const socket = new WebSocket(socketUrl(`?ticket=${encodeURIComponent(await newTicket())}`));
  sockets.push(socket);
  const frames: ServerFrame[] = [];
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data: Buffer) => {
    raw.push(data.toString('utf8'));
    frames.push(serverFrameSchema.parse(JSON.parse(data.toString('utf8'))));
    for (const wake of waiters) wake();
  });
  await once(socket, 'open');
  return {
    socket,
    frames,
    raw,
    send: (frame) => socket.send(JSON.stringify(frame)),
    until: (done) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame; got ${JSON.stringify(frames.map((frame) => frame.type))}`));
        }, 10_000);
        const check = () => {
          if (!frames.some(done)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...frames]);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The HTTP status with which the server refused the upgrade. */
async function refusal(url: string): Promise<number | undefined> {
  const socket = new WebSocket(url);
  socket.on('error', () => {});
  const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode?: number }];
  socket.terminate();
  return response.statusCode;
}

/** The status of a hand-made upgrade request to `path` (101 when it opened; the socket is closed). */
async function upgradeStatus(path: string, headers: Record<string, string>): Promise<number | undefined> {
  const { port } = new URL(dev().url);
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    path,
    headers: { Connection: 'Upgrade', ...headers },
  });
  request.end();
  const [response, socket] = (await Promise.race([once(request, 'response'), once(request, 'upgrade')])) as [
    IncomingMessage,
    { destroy(): void } | undefined,
  ];
  socket?.destroy();
  response.resume();
  return response.statusCode;
}

const handshake = {
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

const sendMessage = (message: string, sessionId?: string) => ({
  action: 'sendMessage',
  data: { message, ...(sessionId ? { sessionId } : {}) },
});

const ends = (frame: ServerFrame) => frame.type === 'complete' || frame.type === 'error';
const deltaText = (frames: readonly ServerFrame[]) =>
  frames.map((frame) => (frame.type === 'delta' ? frame.text : '')).join('');
const streamIdOf = (frames: readonly ServerFrame[]) =>
  frames.find((frame) => frame.type === 'start')?.stream_id ?? '';

describe('pnpm dev WebSocket at /ws', () => {
  it('refuses a connection without a ticket (401) or with an unknown or used one (403)', async () => {
    expect(await refusal(socketUrl(''))).toBe(401);
    expect(await refusal(socketUrl('?ticket=not-a-ticket'))).toBe(403);
    const ticket = await newTicket();
    const first = new WebSocket(socketUrl(`?ticket=${encodeURIComponent(ticket)}`));
    sockets.push(first);
    await once(first, 'open');
    expect(await refusal(socketUrl(`?ticket=${encodeURIComponent(ticket)}`))).toBe(403);
  });

  it('keeps the conversation across two sendMessage frames of one session', async () => {
    const name = `Sakura-${randomUUID().slice(0, 8)}`;
    const sessionId = randomUUID();
    const client = await connect();
    client.send(sendMessage(`私の名前は${name}です。`, sessionId));
    await client.until((frame) => frame.type === 'complete');

    // Only a prompt that carries the first turn contains the name.
    await script(name, `${name}さん、覚えていますよ。`);
    client.frames.length = 0;
    client.send(sendMessage('私の名前を覚えていますか？', sessionId));
    const frames = await client.until((frame) => frame.type === 'complete');
    expect(deltaText(frames)).toBe(`${name}さん、覚えていますよ。`);
    expect(frames.at(-1)).toMatchObject({ type: 'complete', session_id: sessionId, degraded: false });
  });

  it('stores every one of 30 turns sent at once on one session, each complete saying so', async () => {
    const sessionId = randomUUID();
    const clients = await Promise.all(Array.from({ length: 30 }, () => connect()));
    for (const [index, client] of clients.entries())
      client.send(sendMessage(`同時の質問 ${index}`, sessionId));
    const completes = await Promise.all(clients.map(async (client) => (await client.until(ends)).find(ends)));

    expect(completes.every((frame) => frame?.type === 'complete' && frame.stored === true)).toBe(true);
    const reader = await connect();
    reader.send({ action: 'getHistory', data: { sessionId } });
    const [history] = (await reader.until((frame) => frame.type === 'history')).filter(
      (frame) => frame.type === 'history',
    );
    // The newest 50 of the 60 turns, each question right before its answer.
    const roles = history?.turns.map((turn) => turn.role) ?? [];
    expect(roles).toEqual(Array.from({ length: 25 }, () => ['user', 'assistant']).flat());
  });

  it('streams the answer as several delta frames numbered in order, then complete', async () => {
    const marker = `stream-${randomUUID().slice(0, 8)}`;
    const answer = 'ONE PIECE is a long-running manga by Eiichiro Oda about Luffy and his crew.';
    await script(marker, answer);
    const client = await connect();
    client.send(sendMessage(`Tell me about ONE PIECE (${marker})`));
    const frames = await client.until(ends);

    expect(frames[0]?.type).toBe('start');
    expect(frames.filter((frame) => frame.type === 'delta').length).toBeGreaterThan(1);
    expect(deltaText(frames)).toBe(answer);
    expect(frames.map((frame) => ('seq' in frame ? frame.seq : -1))).toEqual(frames.map((_, index) => index));
    expect(frames.at(-1)).toMatchObject({ type: 'complete', stop_reason: 'end_turn' });
  });

  it('replays the rest of a stream to a new connection that resumes after the last seq it saw', async () => {
    const marker = `resume-${randomUUID().slice(0, 8)}`;
    await script(marker, 'Chainsaw Man, Spy x Family and Jujutsu Kaisen are popular this season.');
    const first = await connect();
    first.send(sendMessage(`What is popular? (${marker})`));
    const original = await first.until(ends);
    first.socket.close();

    const second = await connect();
    second.send({ action: 'resume', data: { streamId: streamIdOf(original), lastSeq: 2 } });
    const replayed = await second.until(ends);
    expect(replayed).toEqual(original.slice(3));
  });

  it('finishes the answer of a client that closed mid-stream, so that a resume gets all of it', async () => {
    const marker = `vanish-${randomUUID().slice(0, 8)}`;
    await script(marker, Array.from({ length: 60 }, (_, index) => `word${index}`).join(' '));
    await dev().control('POST', '/_local/bedrock/faults', { tokenDelayMs: 30 });
    const leaving = await connect();
    leaving.send(sendMessage(`Count slowly (${marker})`));
    const seen = await leaving.until((frame) => frame.type === 'delta' && frame.seq >= 2);
    leaving.socket.close();
    const lastSeq = Math.max(...seen.map((frame) => ('seq' in frame ? (frame.seq ?? -1) : -1)));

    // The server notices at its next push and goes on into the frame log; a resume, sent before
    // or after it did, gets the rest of the answer: every word once, in order, then complete.
    const resumed = await connect();
    resumed.send({ action: 'resume', data: { streamId: streamIdOf(seen), lastSeq } });
    const tail = await resumed.until(ends);
    expect(tail.at(-1)).toMatchObject({ type: 'complete', stored: true });
    expect(`${deltaText(seen)}${deltaText(tail)}`).toBe(
      Array.from({ length: 60 }, (_, index) => `word${index}`).join(' '),
    );

    await dev().control('DELETE', '/_local/bedrock/faults');
    const next = await connect();
    next.send(sendMessage('こんにちは'));
    expect((await next.until(ends)).at(-1)?.type).toBe('complete');
  });

  it('follows a stream that is still running to its end on a connection that resumes it', async () => {
    const marker = `follow-${randomUUID().slice(0, 8)}`;
    const answer = Array.from({ length: 40 }, (_, index) => `token${index}`).join(' ');
    await script(marker, answer);
    await dev().control('POST', '/_local/bedrock/faults', { tokenDelayMs: 30 });
    const original = await connect();
    original.send(sendMessage(`Count slowly (${marker})`));
    const seen = await original.until((frame) => frame.type === 'delta' && frame.seq >= 2);
    const lastSeq = Math.max(...seen.map((frame) => ('seq' in frame ? (frame.seq ?? -1) : -1)));

    // The first connection stays open (a client that moved to another network): the stream goes
    // on there, and the resuming connection receives the rest as it is produced.
    const resumed = await connect();
    resumed.send({ action: 'resume', data: { streamId: streamIdOf(seen), lastSeq } });
    const tail = await resumed.until(ends);
    expect(tail.at(-1)).toMatchObject({ type: 'complete', stop_reason: 'end_turn' });
    expect(deltaText(seen) + deltaText(tail)).toBe(answer);
    expect(tail.map((frame) => ('seq' in frame ? frame.seq : -1))).toEqual(
      tail.map((_, index) => lastSeq + 1 + index),
    );
  });

  it('queues each message for the stream worker: one connection’s answers in the order sent, one at a time', async () => {
    const marker = `queued-${randomUUID().slice(0, 8)}`;
    await script(marker, Array.from({ length: 20 }, (_, index) => `part${index}`).join(' '));
    // Slow enough (about 4 s an answer) that the second message is seen waiting while the first streams.
    await dev().control('POST', '/_local/bedrock/faults', { tokenDelayMs: 200 });
    const client = await connect();
    client.send(sendMessage(`first (${marker})`));
    client.send(sendMessage(`second (${marker})`));
    await client.until((frame) => frame.type === 'delta');

    // Both routes have answered; the first message streams from the queue, the second waits its turn.
    const queueListing = async () =>
      (
        (await (await fetch(`${dev().url}/_local/queues`)).json()) as { queues: { name: string }[] }
      ).queues.filter((queue) => queue.name.endsWith('ws-messages.fifo'));
    const waitingBehind = [
      { name: 'mangaassist-local-ws-messages.fifo', waiting: 1, in_flight: 1, dead_letters: [], dropped: 0 },
    ];
    let listing = await queueListing();
    for (let read = 0; read < 20 && JSON.stringify(listing) !== JSON.stringify(waitingBehind); read += 1) {
      listing = await queueListing();
    }
    expect(listing).toEqual(waitingBehind);
    await dev().control('DELETE', '/_local/bedrock/faults');
    const frames = await client.until(
      () => client.frames.filter((frame) => frame.type === 'complete').length === 2,
    );
    const types = frames.map((frame) => frame.type);
    expect(types.filter((type) => type === 'start')).toHaveLength(2);
    expect(types.lastIndexOf('start')).toBeGreaterThan(types.indexOf('complete'));
  });

  it('answers a resume at the end of a finished stream with stream_ended, never its last frame again', async () => {
    const client = await connect();
    client.send(sendMessage('こんにちは'));
    const frames = await client.until(ends);

    const again = await connect();
    again.send({ action: 'resume', data: { streamId: streamIdOf(frames), lastSeq: frames.length - 1 } });
    expect(await again.until(ends)).toEqual([
      expect.objectContaining({ type: 'error', stream_id: streamIdOf(frames), code: 'stream_ended' }),
    ]);
  });

  it('refuses a malformed handshake with 400 before $connect, so that its ticket still opens a connection', async () => {
    const ticket = encodeURIComponent(await newTicket());
    expect(
      await upgradeStatus(`/ws?ticket=${ticket}`, { ...handshake, 'Sec-WebSocket-Key': 'not-a-key' }),
    ).toBe(400);
    expect(await upgradeStatus(`/ws?ticket=${ticket}`, { ...handshake, 'Sec-WebSocket-Version': '8' })).toBe(
      400,
    );
    const socket = new WebSocket(socketUrl(`?ticket=${ticket}`));
    sockets.push(socket);
    await once(socket, 'open');
  });

  it('refuses an upgrade whose request target is not a URL with 400, and keeps serving', async () => {
    expect(await upgradeStatus('//[', handshake)).toBe(400);
    expect(await upgradeStatus('//', handshake)).toBe(400);
    const client = await connect();
    client.send({ action: 'getHistory', data: { sessionId: randomUUID() } });
    expect((await client.until((frame) => frame.type === 'history')).at(-1)).toMatchObject({ turns: [] });
  });

  it('answers a malformed frame with an invalid_frame error and keeps the connection', async () => {
    const client = await connect();
    client.send({ action: 'sendMessage', data: { message: '' } });
    const [error] = await client.until((frame) => frame.type === 'error');
    expect(error).toMatchObject({ type: 'error', code: 'invalid_frame' });
    client.send({ action: 'getHistory', data: { sessionId: randomUUID() } });
    const frames = await client.until((frame) => frame.type === 'history');
    expect(frames.at(-1)).toMatchObject({ type: 'history', turns: [] });
  });
});
