import { websocketLimits } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { awsError } from '../gateway/fake-model-runtime.js';
import type { SessionTurn } from '../sessions/session-store.js';
import type { TenantBudget } from '../tenants/budget.js';
import { MemoryTicketStore } from '../tenants/memory-ticket-store.js';
import { TicketStoreUnavailableError } from '../tenants/store-errors.js';
import { recordingLogger } from '../tenants/tenant-fixtures.js';
import { utf8ByteLength } from '../text/utf8.js';
import { ConnectionGoneError } from './connection-pusher.js';
import { MemoryConnectionStore } from './memory-connection-store.js';
import { frameLogKey } from './websocket-chat.js';
import { ofType, sendMessage, sessionId, webSocketHarness } from './websocket-fixtures.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function exhaustedBudget(): TenantBudget {
  return {
    check: async () => ({ allowed: false, spentUsd: 51, budgetUsd: 50, retryAfterSeconds: 3600 }),
    record: async () => {},
  };
}

describe('WebSocketChat connect and disconnect', () => {
  it('stores the connection with the tenant of a valid ticket', async () => {
    const { webSocket, tickets, connections } = webSocketHarness();
    const ticket = await tickets.issue('manga-store', 60);
    expect(await webSocket.connect({ connectionId: 'c1=', ticket })).toEqual({ statusCode: 200 });
    expect(await connections.get('c1=')).toMatchObject({ connectionId: 'c1=', tenantId: 'manga-store' });
  });

  it('refuses a connection without a ticket with 401', async () => {
    const { webSocket, connections } = webSocketHarness();
    expect(await webSocket.connect({ connectionId: 'c1=' })).toEqual({ statusCode: 401 });
    expect(await connections.get('c1=')).toBeUndefined();
  });

  it('refuses an unknown or already used ticket with 403', async () => {
    const { webSocket, tickets } = webSocketHarness();
    const ticket = await tickets.issue('manga-store', 60);
    expect(await webSocket.connect({ connectionId: 'c1=', ticket })).toEqual({ statusCode: 200 });
    expect(await webSocket.connect({ connectionId: 'c2=', ticket })).toEqual({ statusCode: 403 });
    expect(await webSocket.connect({ connectionId: 'c3=', ticket: 'x'.repeat(43) })).toEqual({
      statusCode: 403,
    });
  });

  it('refuses the connection with 500 when the ticket store cannot answer', async () => {
    const tickets = new MemoryTicketStore();
    tickets.redeem = async () => {
      throw new TicketStoreUnavailableError('Redis is down');
    };
    const { webSocket } = webSocketHarness({ tickets });
    expect(await webSocket.connect({ connectionId: 'c1=', ticket: 'x'.repeat(43) })).toEqual({
      statusCode: 500,
    });
  });

  it('forgets a connection on disconnect and drops its later messages quietly', async () => {
    const logger = recordingLogger();
    const { webSocket, connect, send, connections, pusher } = webSocketHarness({ logger });
    const connectionId = await connect();
    await webSocket.disconnect(connectionId);
    expect(await connections.get(connectionId)).toBeUndefined();
    await send(connectionId, sendMessage('こんにちは'));
    expect(pusher.raw(connectionId)).toEqual([]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'message from an unknown connection dropped' }),
    );
  });
});

describe('WebSocketChat sendMessage', () => {
  it('streams start, deltas and complete with sequence numbers 0, 1, 2 … of one stream', async () => {
    const { connect, send, pusher } = webSocketHarness({
      reply: () => ({ deltas: ['ワンピース', 'は', '110巻'] }),
    });
    const connectionId = await connect();
    await send(connectionId, sendMessage('ワンピースは何巻まで？', { sessionId }));

    const frames = pusher.frames(connectionId);
    expect(frames.map((frame) => frame.type)).toEqual(['start', 'delta', 'delta', 'delta', 'complete']);
    expect(frames.map((frame) => ('seq' in frame ? frame.seq : undefined))).toEqual([0, 1, 2, 3, 4]);
    const [start] = ofType(frames, 'start');
    expect(start?.stream_id).toMatch(uuid);
    expect(new Set(frames.map((frame) => ('stream_id' in frame ? frame.stream_id : undefined)))).toEqual(
      new Set([start?.stream_id]),
    );
    expect(ofType(frames, 'delta').map((frame) => frame.text)).toEqual(['ワンピース', 'は', '110巻']);
    expect(ofType(frames, 'complete')[0]).toMatchObject({
      stop_reason: 'end_turn',
      model: 'claude-haiku-4-5',
      usage: { input_tokens: 10, output_tokens: 5 },
      cached: false,
      degraded: false,
      session_id: sessionId,
    });
  });

  it('starts a new session with a UUID v4 when the client names none', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは'));
    const [start] = ofType(pusher.frames(connectionId), 'start');
    expect(start?.session_id).toMatch(uuid);
    expect(ofType(pusher.frames(connectionId), 'complete')[0]?.session_id).toBe(start?.session_id);
  });

  it('keeps the conversation: the second message reaches the model with the first exchange', async () => {
    const { connect, send, runtimes, sessions } = webSocketHarness();
    const connectionId = await connect();
    await send(connectionId, sendMessage('私はSakuraです。', { sessionId }));
    await send(connectionId, sendMessage('私の名前は？', { sessionId }));

    expect(runtimes.calls[1]?.request.messages.map((message) => message.content)).toEqual([
      '私はSakuraです。',
      'こんにちは！',
      '私の名前は？',
    ]);
    expect(await sessions.history('manga-store', sessionId, 10)).toHaveLength(4);
  });

  it('splits a delta too large for one frame into several frames under the frame limit', async () => {
    const huge = `${'漫画"\n🏯'.repeat(12_000)}終`;
    const { connect, send, pusher } = webSocketHarness({ reply: () => ({ deltas: [huge] }) });
    const connectionId = await connect();
    await send(connectionId, sendMessage('長い答えをください'));

    const raw = pusher.raw(connectionId);
    expect(raw.every((data) => utf8ByteLength(data) <= websocketLimits.maxFrameBytes)).toBe(true);
    const deltas = ofType(pusher.frames(connectionId), 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((frame) => frame.text).join('')).toBe(huge);
    expect(deltas.map((frame) => frame.seq)).toEqual(deltas.map((_, index) => index + 1));
  });

  it('stops the model stream, deletes the connection and stores nothing when the client vanishes mid-stream', async () => {
    const { connect, send, pusher, connections, sessions, runtimes } = webSocketHarness({
      reply: () => ({ deltas: ['一', '二', '三', '四', '五'] }),
    });
    const connectionId = await connect();
    let deltas = 0;
    pusher.failWith = (id, frame) =>
      frame.type === 'delta' && ++deltas === 2 ? new ConnectionGoneError(id) : undefined;

    await send(connectionId, sendMessage('数えてください', { sessionId }));

    expect(pusher.frames(connectionId).map((frame) => frame.type)).toEqual(['start', 'delta']);
    expect(runtimes.streamsClosedEarly()).toBe(1);
    expect(await connections.get(connectionId)).toBeUndefined();
    expect(await sessions.history('manga-store', sessionId, 10)).toEqual([]);
  });

  it('logs a final stream_aborted frame so that a client resuming a stopped stream is not left waiting', async () => {
    const { connect, send, pusher } = webSocketHarness({ reply: () => ({ deltas: ['一', '二', '三'] }) });
    const first = await connect();
    pusher.failWith = (id, frame) =>
      id === first && frame.type === 'delta' && frame.seq === 2 ? new ConnectionGoneError(id) : undefined;
    await send(first, sendMessage('数えてください'));
    const [start] = ofType(pusher.frames(first), 'start');

    const second = await connect();
    await send(second, { action: 'resume', data: { streamId: start?.stream_id, lastSeq: 1 } });
    expect(pusher.frames(second)).toEqual([
      { type: 'delta', stream_id: start?.stream_id, seq: 2, text: '二' },
      expect.objectContaining({ type: 'error', stream_id: start?.stream_id, seq: 3, code: 'stream_aborted' }),
    ]);
  });

  it('rejects text that fails the Japanese-aware checks with a content_rejected frame', async () => {
    const { connect, send, pusher, runtimes } = webSocketHarness();
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは\u0000'));
    expect(pusher.frames(connectionId)).toEqual([
      { type: 'error', code: 'content_rejected', message: expect.stringContaining('null_byte') },
    ]);
    expect(runtimes.calls).toHaveLength(0);
  });

  it('answers a spent budget with a budget_exhausted frame of the stream, without calling a model', async () => {
    const { connect, send, pusher, runtimes } = webSocketHarness({ budget: exhaustedBudget() });
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは'));
    const [start] = ofType(pusher.frames(connectionId), 'start');
    expect(pusher.frames(connectionId)[1]).toMatchObject({
      type: 'error',
      code: 'budget_exhausted',
      stream_id: start?.stream_id,
      seq: 1,
    });
    expect(runtimes.calls).toHaveLength(0);
  });

  it('reports a model failure before the first token as an error frame of the stream', async () => {
    const { connect, send, pusher } = webSocketHarness({
      reply: () => ({ error: awsError('ValidationException', 'bad input') }),
    });
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは'));
    expect(pusher.frames(connectionId).map((frame) => frame.type)).toEqual(['start', 'error']);
    expect(pusher.frames(connectionId)[1]).toMatchObject({ code: 'model_rejected_input', seq: 1 });
  });

  it('reports a stream that fails after the first token as stream_interrupted and stores nothing', async () => {
    const { connect, send, pusher, sessions } = webSocketHarness({
      reply: () => ({ deltas: ['途中'], error: awsError('ModelStreamErrorException') }),
    });
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは', { sessionId }));
    expect(pusher.frames(connectionId).map((frame) => frame.type)).toEqual(['start', 'delta', 'error']);
    expect(pusher.frames(connectionId)[2]).toMatchObject({ code: 'stream_interrupted', seq: 2 });
    expect(await sessions.history('manga-store', sessionId, 10)).toEqual([]);
  });
});

describe('WebSocketChat resume', () => {
  it('replays exactly the frames after the last seq the client saw, on a new connection', async () => {
    const { connect, send, pusher } = webSocketHarness({
      reply: () => ({ deltas: ['あ', 'い', 'う', 'え'] }),
    });
    const first = await connect();
    await send(first, sendMessage('こんにちは'));
    const original = pusher.raw(first);
    const [start] = ofType(pusher.frames(first), 'start');

    const second = await connect();
    await send(second, { action: 'resume', data: { streamId: start?.stream_id, lastSeq: 2 } });
    expect(pusher.raw(second)).toEqual(original.slice(3));
  });

  it('does not let another tenant resume a stream', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const owner = await connect('manga-store');
    await send(owner, sendMessage('こんにちは'));
    const [start] = ofType(pusher.frames(owner), 'start');

    const intruder = await connect('other-store');
    await send(intruder, { action: 'resume', data: { streamId: start?.stream_id, lastSeq: -1 } });
    expect(pusher.frames(intruder)).toEqual([
      expect.objectContaining({ type: 'error', code: 'resume_unavailable', stream_id: start?.stream_id }),
    ]);
  });

  it('answers resume_unavailable for a stream it never logged', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const connectionId = await connect();
    await send(connectionId, { action: 'resume', data: { streamId: sessionId, lastSeq: 0 } });
    expect(pusher.frames(connectionId)).toEqual([expect.objectContaining({ code: 'resume_unavailable' })]);
  });

  it('logs every frame of a stream under the tenant and stream id', async () => {
    const { connect, send, pusher, frames } = webSocketHarness();
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは'));
    const [start] = ofType(pusher.frames(connectionId), 'start');
    expect(await frames.since(frameLogKey('manga-store', start?.stream_id ?? ''), -1)).toEqual(
      pusher.raw(connectionId),
    );
  });
});

describe('WebSocketChat invalid frames', () => {
  it('answers every malformed message with an invalid_frame error and keeps serving the connection', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const connectionId = await connect();
    const malformed = [
      'not json',
      '',
      { action: 'fly', data: {} },
      sendMessage(''),
      sendMessage('hi', { sessionId: 'not-a-uuid' }),
      sendMessage('hi', { extra: true }),
      { action: 'getHistory', data: {} },
    ];
    for (const frame of malformed) await send(connectionId, frame);

    const errors = pusher.frames(connectionId);
    expect(errors).toHaveLength(malformed.length);
    expect(errors.every((frame) => frame.type === 'error' && frame.code === 'invalid_frame')).toBe(true);
    expect(errors[4]).toMatchObject({ message: expect.stringContaining('data.sessionId') });

    await send(connectionId, sendMessage('こんにちは'));
    expect(pusher.frames(connectionId).at(-1)?.type).toBe('complete');
  });

  it('answers with connection_unavailable when the connection store cannot be read', async () => {
    const connections = new MemoryConnectionStore();
    connections.get = async () => {
      throw new Error('DynamoDB is down');
    };
    const { webSocket, pusher } = webSocketHarness({ connections });
    await webSocket.message('c1=', JSON.stringify(sendMessage('こんにちは')));
    expect(pusher.frames('c1=')).toEqual([expect.objectContaining({ code: 'connection_unavailable' })]);
  });
});

describe('WebSocketChat history', () => {
  it('answers getHistory with the stored turns and clearSession with cleared', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは', { sessionId }));
    await send(connectionId, { action: 'getHistory', data: { sessionId } });
    expect(ofType(pusher.frames(connectionId), 'history')[0]).toMatchObject({
      session_id: sessionId,
      turns: [
        { role: 'user', content: 'こんにちは' },
        { role: 'assistant', content: 'こんにちは！' },
      ],
    });

    await send(connectionId, { action: 'clearSession', data: { sessionId } });
    await send(connectionId, { action: 'getHistory', data: { sessionId } });
    const frames = pusher.frames(connectionId);
    expect(frames.at(-2)).toEqual({ type: 'cleared', session_id: sessionId });
    expect(frames.at(-1)).toEqual({ type: 'history', session_id: sessionId, turns: [] });
  });

  it('splits a long history into several frames under the frame limit', async () => {
    const { connect, send, pusher, sessions } = webSocketHarness();
    const at = '2026-01-01T00:00:00.000Z';
    const turns: SessionTurn[] = Array.from({ length: 12 }, (_, index) => ({
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `${index}:${'巻'.repeat(3000)}`,
      at,
    }));
    await sessions.append('manga-store', sessionId, turns);
    const connectionId = await connect();
    await send(connectionId, { action: 'getHistory', data: { sessionId } });

    const raw = pusher.raw(connectionId);
    expect(raw.length).toBeGreaterThan(1);
    expect(raw.every((data) => utf8ByteLength(data) <= websocketLimits.maxFrameBytes)).toBe(true);
    const received = ofType(pusher.frames(connectionId), 'history').flatMap((frame) => frame.turns);
    expect(received.map((turn) => turn.content)).toEqual(turns.map((turn) => turn.content));
  });

  it('answers session_unavailable when the history cannot be read', async () => {
    const { connect, send, pusher, sessions } = webSocketHarness();
    sessions.history = async () => {
      throw new Error('DynamoDB is down');
    };
    const connectionId = await connect();
    await send(connectionId, { action: 'getHistory', data: { sessionId } });
    expect(pusher.frames(connectionId)).toEqual([expect.objectContaining({ code: 'session_unavailable' })]);
  });
});
