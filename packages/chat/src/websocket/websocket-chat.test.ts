import { utf8ByteLength } from '@mangaassist/commons';
import {
  awsError,
  installRecordingTraceSink,
  recordingLogger,
  settlesWithin,
} from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import { websocketLimits } from '@mangaassist/contracts';
import type { TenantBudget } from '@mangaassist/tenants';
import { MemoryTicketStore, TicketStoreUnavailableError } from '@mangaassist/tenants';
import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { SessionTurn } from '../sessions/session-store.js';
import {
  deferred,
  drive,
  nextTurn,
  ofType,
  resume,
  sendMessage,
  sessionId,
  streamIdOf,
  until,
  WatchedSessionStore,
  webSocketHarness,
} from '../testing/websocket-fixtures.js';
import { ConnectionGoneError } from './connection-pusher.js';
import type { FrameLog } from './frame-log.js';
import { MemoryConnectionStore } from './memory-connection-store.js';
import { MemoryFrameLog } from './memory-frame-log.js';
import { frameLogKey } from './websocket-chat.js';

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

  it('forgets a connection on disconnect and answers its later messages with unknown_connection', async () => {
    const { webSocket, connect, send, connections, pusher, runtimes } = webSocketHarness();
    const connectionId = await connect();
    await webSocket.disconnect(connectionId);
    expect(await connections.get(connectionId)).toBeUndefined();
    await send(connectionId, sendMessage('こんにちは'));
    expect(pusher.frames(connectionId)).toEqual([
      { type: 'error', code: 'unknown_connection', message: expect.stringContaining('reconnect') },
    ]);
    expect(runtimes.calls).toHaveLength(0);
  });

  it('answers unknown_connection to a connection whose record expired, and survives a failed push of it', async () => {
    const logger = recordingLogger();
    const { webSocket, pusher } = webSocketHarness({ logger });
    pusher.failWith = (id) => new ConnectionGoneError(id);
    await webSocket.message('expired=', JSON.stringify(sendMessage('こんにちは')));
    expect(pusher.attempts).toBe(1);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'message from an unknown connection' }),
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
      stored: true,
    });
  });

  it('says stored: false in complete when the session store loses the turn, the answer still delivered', async () => {
    const sessions = new MemorySessionStore();
    sessions.append = async () => Promise.reject(new Error('conflict'));
    const { connect, send, pusher } = webSocketHarness({ sessions });
    const connectionId = await connect();
    await send(connectionId, sendMessage('こんにちは', { sessionId }));

    expect(ofType(pusher.frames(connectionId), 'complete')[0]).toMatchObject({ stored: false });
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

  it('finishes the answer for a resume when the client vanishes mid-stream: logged, stored, the connection forgotten', async () => {
    const { connect, send, pusher, connections, sessions, runtimes, frames } = webSocketHarness({
      reply: () => ({ deltas: ['一', '二', '三', '四', '五'] }),
    });
    const connectionId = await connect();
    let deltas = 0;
    pusher.failWith = (id, frame) =>
      frame.type === 'delta' && ++deltas === 2 ? new ConnectionGoneError(id) : undefined;

    await send(connectionId, sendMessage('数えてください', { sessionId }));

    expect(pusher.frames(connectionId).map((frame) => frame.type)).toEqual(['start', 'delta']);
    expect(runtimes.streamsClosedEarly()).toBe(0);
    expect(await connections.get(connectionId)).toBeUndefined();
    const streamId = streamIdOf(pusher.frames(connectionId));
    const logged = ((await frames.since(frameLogKey('manga-store', streamId), -1)) ?? []).map(
      (data) => JSON.parse(data) as { type: string },
    );
    expect(logged.at(-1)).toMatchObject({ type: 'complete', stored: true });
    expect((await sessions.history('manga-store', sessionId, 10)).map((turn) => turn.content)).toEqual([
      '数えてください',
      '一二三四五',
    ]);
  });

  it('stops the model stream and stores nothing when the client vanishes and the frame log cannot keep the rest', async () => {
    const frames = new MemoryFrameLog();
    let logging = true;
    const append = frames.append.bind(frames);
    frames.append = async (...args) => (logging ? append(...args) : Promise.reject(new Error('Redis down')));
    const { connect, send, pusher, sessions, runtimes } = webSocketHarness({
      frames,
      reply: () => ({ deltas: ['一', '二', '三', '四', '五'] }),
    });
    const connectionId = await connect();
    pusher.failWith = (id, frame) => {
      if (frame.type !== 'delta' || frame.seq !== 2) return undefined;
      logging = false;
      return new ConnectionGoneError(id);
    };

    await send(connectionId, sendMessage('数えてください', { sessionId }));

    expect(runtimes.streamsClosedEarly()).toBe(1);
    expect(await sessions.history('manga-store', sessionId, 10)).toEqual([]);
  });

  it('gives a client that resumes after a drop the rest of the answer, through complete', async () => {
    const { connect, send, pusher } = webSocketHarness({ reply: () => ({ deltas: ['一', '二', '三'] }) });
    const first = await connect();
    pusher.failWith = (id, frame) =>
      id === first && frame.type === 'delta' && frame.seq === 2 ? new ConnectionGoneError(id) : undefined;
    await send(first, sendMessage('数えてください'));
    const [start] = ofType(pusher.frames(first), 'start');

    const second = await connect();
    await send(second, { action: 'resume', data: { streamId: start?.stream_id, lastSeq: 1 } });
    const resumed = pusher.frames(second);
    expect(resumed.map((frame) => frame.type)).toEqual(['delta', 'delta', 'complete']);
    expect(
      ofType(resumed, 'delta')
        .map((frame) => frame.text)
        .join(''),
    ).toBe('二三');
    expect(resumed.map((frame) => ('seq' in frame ? frame.seq : undefined))).toEqual([2, 3, 4]);
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

  it("does a frame's work as the connection's tenant's in the trace", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const { connect, send, pusher } = webSocketHarness();
    const tenants: unknown[] = [];
    pusher.hold = () => {
      tenants.push(traceAnnotations().tenant);
      return undefined;
    };
    const connectionId = await connect('manga-store');
    await send(connectionId, { action: 'getHistory', data: { sessionId } });
    expect(tenants).toEqual(['manga-store']);
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

/**
 * A harness whose model holds before its third delta until `release`: the first connection has
 * received start, あ and い of a stream that is still running.
 */
async function runningStream(options: Parameters<typeof webSocketHarness>[0] = {}) {
  const held = deferred();
  const harness = webSocketHarness({
    reply: () => ({ deltas: ['あ', 'い', 'う', 'え'] }),
    modelPace: (index) => (index === 2 ? held.promise : nextTurn()),
    ...options,
  });
  const first = await harness.connect();
  const producing = harness.send(first, sendMessage('こんにちは'));
  await until(() => harness.pusher.raw(first).length === 3);
  const streamId = streamIdOf(harness.pusher.frames(first));
  return { ...harness, first, producing, streamId, release: held.resolve };
}

describe('WebSocketChat resume of a running stream', () => {
  it('keeps forwarding the frames logged after the replay to the resuming connection, through complete', async () => {
    const { connect, send, pusher, followClock, first, producing, streamId, release } = await runningStream();
    const second = await connect();
    const resuming = send(second, resume(streamId, 0));
    await until(() => pusher.raw(second).length === 2);

    release();
    await producing;
    await drive(followClock, resuming);
    expect(pusher.raw(second)).toEqual(pusher.raw(first).slice(1));
    expect(pusher.frames(second).at(-1)?.type).toBe('complete');
  });

  it('waits for the next frames when the client resumes at the newest seq of a running stream', async () => {
    const { connect, send, pusher, followClock, first, producing, streamId, release } = await runningStream();
    const second = await connect();
    const resuming = send(second, resume(streamId, 2));
    await followClock.advance(1_000);
    expect(pusher.raw(second)).toEqual([]);

    release();
    await producing;
    await drive(followClock, resuming);
    expect(pusher.raw(second)).toEqual(pusher.raw(first).slice(3));
  });

  it('keeps forwarding to the resuming connection when the original client goes away, through complete', async () => {
    const { connect, send, pusher, followClock, first, producing, streamId, release } = await runningStream();
    pusher.failWith = (id) => (id === first ? new ConnectionGoneError(id) : undefined);
    const second = await connect();
    const resuming = send(second, resume(streamId, 2));

    release();
    await producing;
    await drive(followClock, resuming);
    expect(pusher.frames(second)).toEqual([
      { type: 'delta', stream_id: streamId, seq: 3, text: 'う' },
      { type: 'delta', stream_id: streamId, seq: 4, text: 'え' },
      expect.objectContaining({ type: 'complete', stream_id: streamId, seq: 5, stored: true }),
    ]);
  });

  it('answers resume_timeout when a running stream logs nothing more within resumeFollowMs', async () => {
    const { connect, send, pusher, followClock, producing, streamId, release } = await runningStream({
      chat: { resumeFollowMs: 10_000 },
    });
    const second = await connect();
    await drive(followClock, send(second, resume(streamId, 2)));
    expect(pusher.frames(second)).toEqual([
      expect.objectContaining({ type: 'error', stream_id: streamId, code: 'resume_timeout' }),
    ]);
    expect(followClock.pendingSleeps).toBe(0);
    release();
    await producing;
  });

  it('stops following, silently, when the resuming connection disconnects', async () => {
    const { webSocket, connect, send, pusher, followClock, producing, streamId, release } =
      await runningStream();
    const second = await connect();
    const resuming = send(second, resume(streamId, 2));
    await followClock.advance(1_000);
    await webSocket.disconnect(second);
    await resuming;
    expect(followClock.pendingSleeps).toBe(0);
    release();
    await producing;
    expect(pusher.raw(second)).toEqual([]);
  });

  it('replaces the follower when the same connection resumes the same stream again, so no frame comes twice', async () => {
    const { connect, send, pusher, followClock, first, producing, streamId, release } = await runningStream();
    const second = await connect();
    const earlier = send(second, resume(streamId, 2));
    await followClock.advance(1_000);
    const later = send(second, resume(streamId, 2));
    await earlier;

    release();
    await producing;
    await drive(followClock, later);
    expect(pusher.raw(second)).toEqual(pusher.raw(first).slice(3));
  });

  it('answers resume_unavailable when the frame log stays unreadable while following', async () => {
    const log = new MemoryFrameLog();
    let reads = 0;
    const flaky: FrameLog = {
      append: (streamId, seq, frame) => log.append(streamId, seq, frame),
      since: async (streamId, afterSeq) => (++reads > 1 ? undefined : log.since(streamId, afterSeq)),
    };
    const { connect, send, pusher, followClock, producing, streamId, release } = await runningStream({
      frames: flaky,
    });
    const second = await connect();
    await drive(followClock, send(second, resume(streamId, 2)));
    expect(pusher.frames(second)).toEqual([
      expect.objectContaining({ type: 'error', stream_id: streamId, code: 'resume_unavailable' }),
    ]);
    release();
    await producing;
  });
});

describe('WebSocketChat resume of a finished stream', () => {
  it('answers a client that resumes at the terminal frame it already has with stream_ended, never that frame again', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const first = await connect();
    await send(first, sendMessage('こんにちは'));
    const complete = ofType(pusher.frames(first), 'complete')[0];
    const streamId = streamIdOf(pusher.frames(first));

    const second = await connect();
    // Nothing moves the follow clock: a resumer that followed instead of answering would never settle.
    await settlesWithin(
      send(second, resume(streamId, complete?.seq ?? -1)),
      5_000,
      'a resume after the terminal frame',
    );
    expect(pusher.frames(second)).toEqual([
      {
        type: 'error',
        stream_id: streamId,
        code: 'stream_ended',
        message: expect.stringContaining(`seq ${complete?.seq}`),
      },
    ]);
  });

  it('answers a resume past the end of a finished stream with stream_ended', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const first = await connect();
    await send(first, sendMessage('こんにちは'));

    const second = await connect();
    await settlesWithin(
      send(second, resume(streamIdOf(pusher.frames(first)), 99)),
      5_000,
      'a resume past the end of a finished stream',
    );
    const endSeq = ofType(pusher.frames(first), 'complete')[0]?.seq;
    expect(pusher.frames(second)).toEqual([
      expect.objectContaining({
        type: 'error',
        code: 'stream_ended',
        message: expect.stringContaining(`seq ${endSeq},`),
      }),
    ]);
    expect(pusher.frames(second)[0]).not.toHaveProperty('seq');
  });

  it('still sends the terminal frame to a client that resumes just before it', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const first = await connect();
    await send(first, sendMessage('こんにちは'));
    const complete = ofType(pusher.frames(first), 'complete')[0];

    const second = await connect();
    await send(second, resume(streamIdOf(pusher.frames(first)), (complete?.seq ?? 0) - 1));
    expect(pusher.raw(second)).toEqual([pusher.raw(first).at(-1)]);
  });
});

describe('WebSocketChat delivery failures', () => {
  it('finishes the answer into the log when a push fails for another reason, and tells the client to resume', async () => {
    const { connect, send, pusher, frames, runtimes, sessions } = webSocketHarness({
      reply: () => ({ deltas: ['一', '二', '三', '四'] }),
    });
    const connectionId = await connect();
    pusher.failWith = (_id, frame) =>
      frame.type === 'delta' && frame.seq === 2
        ? awsError('ThrottlingException', 'Rate exceeded')
        : undefined;
    await send(connectionId, sendMessage('数えてください', { sessionId }));

    const delivered = pusher.frames(connectionId);
    const streamId = streamIdOf(delivered);
    expect(delivered).toEqual([
      expect.objectContaining({ type: 'start', seq: 0 }),
      expect.objectContaining({ type: 'delta', seq: 1, text: '一' }),
      expect.objectContaining({ type: 'error', stream_id: streamId, code: 'push_failed' }),
    ]);
    expect(delivered.at(-1)).not.toHaveProperty('seq');
    expect(runtimes.streamsClosedEarly()).toBe(0);
    expect((await sessions.history('manga-store', sessionId, 10)).at(-1)?.content).toBe('一二三四');
    const logged = ((await frames.since(frameLogKey('manga-store', streamId), 1)) ?? []).map(
      (data) => JSON.parse(data) as { type: string; text?: string },
    );
    expect(
      logged
        .filter((frame) => frame.type === 'delta')
        .map((frame) => frame.text)
        .join(''),
    ).toBe('二三四');
    expect(logged.at(-1)).toMatchObject({ type: 'complete', stored: true });
  });

  it('answers push_failed when a history frame cannot be pushed', async () => {
    const { connect, send, pusher } = webSocketHarness();
    const connectionId = await connect();
    pusher.failWith = (_id, frame) =>
      frame.type === 'history' ? awsError('ThrottlingException') : undefined;
    await send(connectionId, { action: 'getHistory', data: { sessionId } });
    expect(pusher.frames(connectionId)).toEqual([
      expect.objectContaining({ type: 'error', code: 'push_failed' }),
    ]);
  });

  it('coalesces the deltas the model produces while a push is in flight into one frame', async () => {
    const sessions = new WatchedSessionStore();
    const { connect, send, pusher } = webSocketHarness({
      reply: () => ({ deltas: ['一', '二', '三', '四'] }),
      modelPace: async () => {},
      sessions,
    });
    const connectionId = await connect();
    // The first delta's push completes only once the model has finished (its answer is stored).
    pusher.hold = (_id, frame) => (frame.type === 'delta' && frame.seq === 1 ? sessions.appended : undefined);
    await send(connectionId, sendMessage('数えてください'));

    expect(pusher.frames(connectionId)).toEqual([
      expect.objectContaining({ type: 'start', seq: 0 }),
      expect.objectContaining({ type: 'delta', seq: 1, text: '一' }),
      expect.objectContaining({ type: 'delta', seq: 2, text: '二三四' }),
      expect.objectContaining({ type: 'complete', seq: 3 }),
    ]);
  });

  it('keeps coalesced deltas within maxFrameBytes, numbered without a gap', async () => {
    const sessions = new WatchedSessionStore();
    const pieces = Array.from({ length: 12 }, (_, index) => `${index}:${'漫画'.repeat(20)}`);
    const { connect, send, pusher } = webSocketHarness({
      reply: () => ({ deltas: pieces }),
      modelPace: async () => {},
      sessions,
      chat: { maxFrameBytes: 400 },
    });
    const connectionId = await connect();
    pusher.hold = (_id, frame) => (frame.type === 'delta' && frame.seq === 1 ? sessions.appended : undefined);
    await send(connectionId, sendMessage('長い答えをください'));

    const raw = pusher.raw(connectionId);
    expect(raw.every((data) => utf8ByteLength(data) <= 400)).toBe(true);
    const frames = pusher.frames(connectionId);
    expect(frames.map((frame) => ('seq' in frame ? frame.seq : -1))).toEqual(frames.map((_, index) => index));
    expect(ofType(frames, 'delta').length).toBeLessThan(pieces.length);
    expect(
      ofType(frames, 'delta')
        .map((frame) => frame.text)
        .join(''),
    ).toBe(pieces.join(''));
    expect(frames.at(-1)?.type).toBe('complete');
  });

  it('logs the whole answer when its delivery fails after the model finished, so that a resume delivers it', async () => {
    const sessions = new WatchedSessionStore();
    const { connect, send, pusher } = webSocketHarness({
      reply: () => ({ deltas: ['一', '二', '三'] }),
      modelPace: async () => {},
      sessions,
    });
    const first = await connect();
    pusher.hold = (_id, frame) => (frame.type === 'delta' && frame.seq === 1 ? sessions.appended : undefined);
    pusher.failWith = (id, frame) =>
      id === first && frame.type === 'delta' ? new ConnectionGoneError(id) : undefined;
    await send(first, sendMessage('数えてください', { sessionId }));
    expect(await sessions.history('manga-store', sessionId, 10)).toHaveLength(2);

    const second = await connect();
    await send(second, resume(streamIdOf(pusher.frames(first)), 0));
    const resumed = pusher.frames(second);
    expect(
      ofType(resumed, 'delta')
        .map((frame) => frame.text)
        .join(''),
    ).toBe('一二三');
    expect(resumed.at(-1)).toMatchObject({ type: 'complete', session_id: sessionId });
  });
});
