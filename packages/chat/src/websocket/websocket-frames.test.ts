import { utf8ByteLength } from '@mangaassist/commons';
import { serverFrameSchema } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import type { SessionTurn } from '../sessions/session-store.js';
import { deltaFrames, errorFrame, frameBytes, historyFrames, splitJsonText } from './websocket-frames.js';

const streamId = '0bec57fd-8842-48db-9681-eb4cd33664b8';
const jsonBytes = (text: string) => utf8ByteLength(JSON.stringify(text)) - 2;

function turn(content: string, role: SessionTurn['role'] = 'assistant'): SessionTurn {
  return { role, content, at: '2026-01-01T00:00:00.000Z' };
}

describe('splitJsonText', () => {
  it('keeps text that fits as one piece', () => {
    expect(splitJsonText('まんが', 9)).toEqual(['まんが']);
  });

  it('splits between code points so that each piece fits in JSON', () => {
    expect(splitJsonText('まんが', 6)).toEqual(['まん', 'が']);
  });

  it('counts JSON escapes and never splits a surrogate pair', () => {
    const text = `"\n\u0001🏯🏯\\${'a'.repeat(10)}`;
    const pieces = splitJsonText(text, 8);
    expect(pieces.join('')).toBe(text);
    expect(pieces.every((piece) => jsonBytes(piece) <= 8)).toBe(true);
    expect(pieces.some((piece) => /^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(piece))).toBe(false);
  });

  it('refuses a budget smaller than the widest escaped code point', () => {
    expect(() => splitJsonText('a', 5)).toThrow(RangeError);
  });
});

describe('deltaFrames', () => {
  it('numbers the frames of a split delta from the given seq, each within the limit', () => {
    const text = '漫'.repeat(5_000);
    const frames = deltaFrames(streamId, 7, text, 4_096);
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.map((frame) => frame.seq)).toEqual(frames.map((_, index) => 7 + index));
    expect(frames.every((frame) => frameBytes(frame) <= 4_096)).toBe(true);
    expect(frames.map((frame) => (frame.type === 'delta' ? frame.text : '')).join('')).toBe(text);
  });
});

describe('errorFrame', () => {
  it('cuts a long message to keep the frame within the limit', () => {
    const frame = errorFrame('invalid_frame', 'x'.repeat(10_000), { streamId, seq: 3 }, 1_024);
    expect(frameBytes(frame)).toBeLessThanOrEqual(1_024);
    expect(serverFrameSchema.parse(frame)).toMatchObject({
      code: 'invalid_frame',
      stream_id: streamId,
      seq: 3,
    });
  });

  it('leaves out the stream position of an error outside a stream', () => {
    expect(errorFrame('content_rejected', 'no', {}, 1_024)).toEqual({
      type: 'error',
      code: 'content_rejected',
      message: 'no',
    });
  });
});

describe('historyFrames', () => {
  it('answers an empty session with one empty frame', () => {
    expect(historyFrames('s', [], 1_024)).toEqual([{ type: 'history', session_id: 's', turns: [] }]);
  });

  it('packs turns into as few frames as fit, in order', () => {
    const turns = Array.from({ length: 10 }, (_, index) => turn(`${index}${'a'.repeat(300)}`));
    const frames = historyFrames('s', turns, 1_024);
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.every((frame) => frameBytes(frame) <= 1_024)).toBe(true);
    const batches = frames.map((frame) => (frame.type === 'history' ? frame.turns : []));
    expect(batches.flat().map((t) => t.content)).toEqual(turns.map((t) => t.content));
    // Packed: no frame could have taken the next frame's first turn as well.
    for (const [index, batch] of batches.slice(0, -1).entries()) {
      const next = batches[index + 1]?.slice(0, 1) ?? [];
      expect(frameBytes({ type: 'history', session_id: 's', turns: [...batch, ...next] })).toBeGreaterThan(
        1_024,
      );
    }
  });

  it('cuts a turn too large for any frame and marks it with an ellipsis', () => {
    const frames = historyFrames('s', [turn('短い', 'user'), turn('長'.repeat(2_000))], 1_024);
    expect(frames.every((frame) => frameBytes(frame) <= 1_024)).toBe(true);
    const last = frames.at(-1);
    const content = last?.type === 'history' ? last.turns.at(-1)?.content : undefined;
    expect(content).toMatch(/^長+…$/);
  });
});
