import { describe, expect, it } from 'vitest';
import { MemoryFrameLog } from './memory-frame-log.js';

function clock(start = 0) {
  let now = start;
  return { now: () => now, advanceSeconds: (seconds: number) => (now += seconds * 1_000) };
}

async function logged(log: MemoryFrameLog, streamId: string, count: number): Promise<void> {
  for (let seq = 0; seq < count; seq++) await log.append(streamId, seq, `frame-${seq}`);
}

describe('MemoryFrameLog', () => {
  it('answers the frames after the given seq, in order', async () => {
    const log = new MemoryFrameLog();
    await logged(log, 'tenant/stream', 5);
    expect(await log.since('tenant/stream', 2)).toEqual(['frame-3', 'frame-4']);
    expect(await log.since('tenant/stream', -1)).toHaveLength(5);
  });

  it('answers an empty list to a client that has seen every frame', async () => {
    const log = new MemoryFrameLog();
    await logged(log, 'tenant/stream', 3);
    expect(await log.since('tenant/stream', 2)).toEqual([]);
  });

  it('answers undefined for a stream it never logged', async () => {
    expect(await new MemoryFrameLog().since('tenant/unknown', -1)).toBeUndefined();
  });

  it('forgets a stream the TTL after its last frame', async () => {
    const time = clock();
    const log = new MemoryFrameLog({ ttlSeconds: 300, now: time.now });
    await logged(log, 'tenant/stream', 2);
    time.advanceSeconds(299);
    await log.append('tenant/stream', 2, 'frame-2');
    time.advanceSeconds(299);
    expect(await log.since('tenant/stream', 0)).toEqual(['frame-1', 'frame-2']);
    time.advanceSeconds(1);
    expect(await log.since('tenant/stream', 0)).toBeUndefined();
  });

  it('refuses to resume across a frame that was never logged', async () => {
    const log = new MemoryFrameLog();
    await log.append('tenant/stream', 0, 'frame-0');
    await log.append('tenant/stream', 2, 'frame-2');
    expect(await log.since('tenant/stream', 0)).toBeUndefined();
    expect(await log.since('tenant/stream', 1)).toEqual(['frame-2']);
  });

  it('keeps at most maxStreams streams, dropping the least recently written', async () => {
    const log = new MemoryFrameLog({ maxStreams: 2 });
    await logged(log, 'a', 1);
    await logged(log, 'b', 1);
    await log.append('a', 1, 'frame-1');
    await logged(log, 'c', 1);
    expect(await log.since('b', -1)).toBeUndefined();
    expect(await log.since('a', -1)).toEqual(['frame-0', 'frame-1']);
    expect(await log.since('c', -1)).toEqual(['frame-0']);
  });

  it('drops expired streams when it appends, without waiting for them to be read', async () => {
    const time = clock();
    const log = new MemoryFrameLog({ ttlSeconds: 300, now: time.now });
    await logged(log, 'tenant/old-1', 3);
    await logged(log, 'tenant/old-2', 3);
    time.advanceSeconds(200);
    await logged(log, 'tenant/recent', 1);
    time.advanceSeconds(100);
    await logged(log, 'tenant/new', 1);
    expect(log.streamCount).toBe(2);
    expect(log.bytes).toBe(2 * 'frame-0'.length);
  });

  it('keeps at most maxBytes of frames, dropping the least recently written streams', async () => {
    const log = new MemoryFrameLog({ maxBytes: 40 });
    await logged(log, 'a', 2);
    await logged(log, 'b', 2);
    await log.append('a', 2, 'frame-2');
    expect(log.bytes).toBe(35);
    await logged(log, 'c', 1);
    expect(await log.since('b', -1)).toBeUndefined();
    expect(await log.since('a', -1)).toEqual(['frame-0', 'frame-1', 'frame-2']);
    expect(await log.since('c', -1)).toEqual(['frame-0']);
    expect(log.bytes).toBe(28);
  });

  it('counts frames in UTF-8 bytes', async () => {
    const log = new MemoryFrameLog();
    await log.append('tenant/stream', 0, '漫画');
    expect(log.bytes).toBe(6);
  });
});
