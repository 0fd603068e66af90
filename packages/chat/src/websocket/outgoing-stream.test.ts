import type { ServerFrame } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { deferred } from '../testing/websocket-fixtures.js';
import { OutgoingStream, type PushOutcome } from './outgoing-stream.js';

const streamId = '3f1c2b9e-5a4d-4c1e-9b2a-7d6e5f4a3b2c';

/** A channel that records pushes and log entries; `outcomes` answers the pushes in turn (then 'sent'). */
function recordingChannel(outcomes: PushOutcome[] = []) {
  const pushed: ServerFrame[] = [];
  const logged: { seq: number; frame: ServerFrame }[] = [];
  let gate: Promise<void> | undefined;
  return {
    pushed,
    logged,
    /** Holds every push until `release` is called. */
    holdPushes() {
      const held = deferred();
      gate = held.promise;
      return held.resolve;
    },
    channel: {
      push: async (data: string): Promise<PushOutcome> => {
        await gate;
        const outcome = outcomes.shift() ?? 'sent';
        if (outcome === 'sent') pushed.push(JSON.parse(data));
        return outcome;
      },
      log: async (seq: number, data: string) => {
        logged.push({ seq, frame: JSON.parse(data) });
        return true;
      },
    },
  };
}

const start = (seq: number): ServerFrame => ({
  type: 'start',
  stream_id: streamId,
  seq,
  session_id: 's',
  request_id: 'r',
});

describe('OutgoingStream', () => {
  it('sends the delta text queued while a push is in flight as one frame, numbered next', async () => {
    const recording = recordingChannel();
    const out = new OutgoingStream({ streamId, maxFrameBytes: 32 * 1024, channel: recording.channel });
    const release = recording.holdPushes();
    void out.send(start);
    out.delta('一');
    out.delta('二');
    out.delta('三');
    release();
    await out.settled();
    expect(recording.pushed).toEqual([
      start(0),
      { type: 'delta', stream_id: streamId, seq: 1, text: '一二三' },
    ]);
  });

  it('keeps logging, but stops pushing, after the first failed push, and says how it failed', async () => {
    const recording = recordingChannel(['sent', 'failed']);
    let failures = 0;
    const out = new OutgoingStream({
      streamId,
      maxFrameBytes: 32 * 1024,
      channel: recording.channel,
      onFailure: () => {
        failures += 1;
      },
    });
    expect(await out.send(start)).toBe(true);
    out.delta('一');
    await out.settled();
    out.delta('二');
    expect(
      await out.send((seq) => ({ type: 'error', stream_id: streamId, seq, code: 'x', message: 'x' })),
    ).toBe(false);
    expect(out.failed).toBe('failed');
    expect(out.ended).toBe(true);
    expect(failures).toBe(1);
    expect(recording.pushed.map((frame) => frame.type)).toEqual(['start']);
    expect(recording.logged.map(({ seq, frame }) => [seq, frame.type])).toEqual([
      [0, 'start'],
      [1, 'delta'],
      [2, 'delta'],
      [3, 'error'],
    ]);
  });

  it('pushes a final frame even after a failed push', async () => {
    const recording = recordingChannel(['gone']);
    const out = new OutgoingStream({ streamId, maxFrameBytes: 32 * 1024, channel: recording.channel });
    await out.send(start);
    expect(
      await out.sendFinal((seq) => ({ type: 'error', stream_id: streamId, seq, code: 'x', message: 'x' })),
    ).toBe(true);
    expect(recording.pushed).toEqual([expect.objectContaining({ type: 'error', seq: 1 })]);
  });

  it('stays resumable while every frame is logged, and says so no longer once one is not', async () => {
    const recording = recordingChannel();
    let logging = true;
    const channel = {
      push: recording.channel.push,
      log: async (seq: number, data: string) => logging && recording.channel.log(seq, data),
    };
    const out = new OutgoingStream({ streamId, maxFrameBytes: 32 * 1024, channel });
    await out.send(start);
    expect(out.resumable).toBe(true);

    logging = false;
    out.delta('一');
    await out.settled();
    expect(out.resumable).toBe(false);
  });
});
