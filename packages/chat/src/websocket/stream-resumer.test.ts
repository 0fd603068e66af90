import { createFakeClock, settlesWithin } from '@mangaassist/commons/testing';
import type { ServerFrame } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { MemoryFrameLog } from './memory-frame-log.js';
import { resumeLongestPollMs, StreamResumer } from './stream-resumer.js';
import { errorFrame, serializeFrame } from './websocket-frames.js';

const streamId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const key = `manga-store/${streamId}`;

/** The logged JSON of frame `seq` of the stream: its start at 0, deltas after it. */
function loggedFrame(seq: number): string {
  return serializeFrame(
    seq === 0
      ? { type: 'start', stream_id: streamId, seq, session_id: 'session-1', request_id: 'request-1' }
      : { type: 'delta', stream_id: streamId, seq, text: `片${seq}` },
  );
}

/** The logged JSON of the stream's `complete` frame at `seq`. */
function loggedComplete(seq: number): string {
  return serializeFrame({
    type: 'complete',
    stream_id: streamId,
    seq,
    stop_reason: 'end_turn',
    usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 0, cache_write_input_tokens: 0 },
    model: 'claude-haiku-4-5',
    cost_usd: 0.000035,
    latency_ms: 900,
    cached: false,
    degraded: false,
    session_id: 'session-1',
  });
}

/** A resumer over a memory frame log and a fake clock, with every frame it pushes kept in order. */
function resumerOfRunningStream() {
  const clock = createFakeClock();
  const frames = new MemoryFrameLog();
  const pushed: ServerFrame[] = [];
  const resumer = new StreamResumer({
    frames,
    clock,
    followMs: 60_000,
    push: async (_connectionId, data) => {
      pushed.push(JSON.parse(data) as ServerFrame);
      return 'sent';
    },
    error: (code, message, position) => errorFrame(code, message, position, 32 * 1024),
  });
  /** The stream logs these frames, as the running stream's producer would. */
  const log = async (...logged: readonly [seq: number, data: string][]) => {
    for (const [seq, data] of logged) await frames.append(key, seq, data);
  };
  /** The seq of every frame pushed to the resuming client so far. */
  const pushedSeqs = () => pushed.map((frame) => ('seq' in frame ? frame.seq : undefined));
  return { resumer, clock, log, pushed, pushedSeqs };
}

const deltas = (...seqs: number[]): [number, string][] => seqs.map((seq) => [seq, loggedFrame(seq)]);

describe('StreamResumer', () => {
  it('delivers contiguous seq numbers, none skipped and none repeated, while following a running stream across several reads', async () => {
    const { resumer, clock, log, pushed, pushedSeqs } = resumerOfRunningStream();
    await log(...deltas(0, 1, 2, 3));

    const resuming = resumer.resume('conn-2=', key, streamId, 1);
    await clock.advance(0);
    expect(pushedSeqs()).toEqual([2, 3]); // the replay

    await log(...deltas(4, 5));
    await clock.advance(resumeLongestPollMs);
    expect(pushedSeqs()).toEqual([2, 3, 4, 5]);

    await log(...deltas(6));
    await clock.advance(resumeLongestPollMs);
    expect(pushedSeqs()).toEqual([2, 3, 4, 5, 6]);

    await clock.advance(resumeLongestPollMs); // a read that finds nothing new
    await log(...deltas(7, 8), [9, loggedComplete(9)]);
    await clock.advance(resumeLongestPollMs);
    await settlesWithin(resuming, 5_000, 'the resume of a stream that has completed');

    expect(pushedSeqs()).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pushed.at(-1)?.type).toBe('complete');
  });
});
