import { websocketLimits } from '@mangaassist/contracts';
import type { FrameLog } from './frame-log.js';

export interface MemoryFrameLogOptions {
  /** How long a stream's frames are kept after its last append. @default websocketLimits.resumeWindowSeconds (300) */
  readonly ttlSeconds?: number;
  /** Most streams kept; the least recently appended go first. @default 1000 */
  readonly maxStreams?: number;
  /** Wall-clock time in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

interface LoggedStream {
  readonly frames: { readonly seq: number; readonly frame: string }[];
  expiresAt: number;
}

/**
 * A `FrameLog` in this process's memory, with the semantics of `RedisFrameLog`: a stream's
 * frames expire `ttlSeconds` after its last append, and `since` answers only a contiguous run
 * of frames (undefined for an unknown or expired stream, or when a frame after `afterSeq` is
 * missing, since a resume with a hole would corrupt the answer). For tests and a single-process
 * `pnpm dev`; deployed, a resume may reach another instance, so use Redis there. Never throws.
 */
export class MemoryFrameLog implements FrameLog {
  private readonly streams = new Map<string, LoggedStream>();
  private readonly ttlMs: number;
  private readonly maxStreams: number;
  private readonly now: () => number;

  constructor(options: MemoryFrameLogOptions = {}) {
    const ttlSeconds = options.ttlSeconds ?? websocketLimits.resumeWindowSeconds;
    const maxStreams = options.maxStreams ?? 1000;
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
    if (!(Number.isInteger(maxStreams) && maxStreams >= 1))
      throw new RangeError(`maxStreams must be a whole number >= 1, got ${maxStreams}`);
    this.ttlMs = ttlSeconds * 1_000;
    this.maxStreams = maxStreams;
    this.now = options.now ?? Date.now;
  }

  async append(streamId: string, seq: number, frame: string): Promise<void> {
    const at = this.now();
    const existing = this.live(streamId, at);
    const stream = existing ?? { frames: [], expiresAt: 0 };
    stream.frames.push({ seq, frame });
    stream.expiresAt = at + this.ttlMs;
    // Re-inserting keeps the map ordered by last append, so the first entry is the one to evict.
    this.streams.delete(streamId);
    this.streams.set(streamId, stream);
    for (const [key] of this.streams) {
      if (this.streams.size <= this.maxStreams) break;
      this.streams.delete(key);
    }
  }

  async since(streamId: string, afterSeq: number): Promise<string[] | undefined> {
    const stream = this.live(streamId, this.now());
    if (stream === undefined) return undefined;
    return contiguousAfter(stream.frames, afterSeq);
  }

  private live(streamId: string, at: number): LoggedStream | undefined {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    if (stream.expiresAt > at) return stream;
    this.streams.delete(streamId);
    return undefined;
  }
}

/**
 * The frames after `afterSeq` in seq order, provided they run without a hole from
 * `afterSeq + 1` to the last one logged; undefined otherwise. Shared by the frame-log adapters.
 */
export function contiguousAfter(
  frames: readonly { readonly seq: number; readonly frame: string }[],
  afterSeq: number,
): string[] | undefined {
  const after = frames.filter((entry) => entry.seq > afterSeq).sort((a, b) => a.seq - b.seq);
  for (const [index, entry] of after.entries()) {
    if (entry.seq !== afterSeq + 1 + index) return undefined;
  }
  return after.map((entry) => entry.frame);
}
