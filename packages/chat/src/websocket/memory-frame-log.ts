import { utf8ByteLength } from '@mangaassist/commons';
import { websocketLimits } from '@mangaassist/contracts';
import type { FrameLog } from './frame-log.js';

export interface MemoryFrameLogOptions {
  /** How long a stream's frames are kept after its last append. @default websocketLimits.resumeWindowSeconds (300) */
  readonly ttlSeconds?: number;
  /** Most streams kept; the least recently appended go first. @default 1000 */
  readonly maxStreams?: number;
  /**
   * Most frame bytes (UTF-8) kept over all streams; the least recently appended streams go first,
   * and a single stream larger than this is not kept. @default 16 MiB
   */
  readonly maxBytes?: number;
  /** Wall-clock time in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

interface LoggedStream {
  readonly frames: { readonly seq: number; readonly frame: string }[];
  expiresAt: number;
  bytes: number;
}

/**
 * A `FrameLog` in this process's memory, with the semantics of `RedisFrameLog`: a stream's
 * frames expire `ttlSeconds` after its last append, and `since` answers only a contiguous run
 * of frames (undefined for an unknown or expired stream, or when a frame after `afterSeq` is
 * missing, since a resume with a hole would corrupt the answer). For tests and a single-process
 * `pnpm dev`; deployed, a resume may reach another instance, so use Redis there. Never throws.
 *
 * Memory stays bounded in a long-running process: every append first drops the streams that
 * have expired, then the least recently appended ones beyond `maxStreams` or `maxBytes`.
 */
export class MemoryFrameLog implements FrameLog {
  // Ordered by last append (an append re-inserts its stream), hence also by expiry.
  private readonly streams = new Map<string, LoggedStream>();
  private readonly ttlMs: number;
  private readonly maxStreams: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private totalBytes = 0;

  constructor(options: MemoryFrameLogOptions = {}) {
    const ttlSeconds = options.ttlSeconds ?? websocketLimits.resumeWindowSeconds;
    const maxStreams = options.maxStreams ?? 1000;
    const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
    if (!(Number.isInteger(maxStreams) && maxStreams >= 1))
      throw new RangeError(`maxStreams must be a whole number >= 1, got ${maxStreams}`);
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${maxBytes}`);
    this.ttlMs = ttlSeconds * 1_000;
    this.maxStreams = maxStreams;
    this.maxBytes = maxBytes;
    this.now = options.now ?? Date.now;
  }

  /** Streams kept (expired ones included until the next append drops them). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** UTF-8 bytes of the frames kept. */
  get bytes(): number {
    return this.totalBytes;
  }

  async append(streamId: string, seq: number, frame: string): Promise<void> {
    const at = this.now();
    this.dropExpired(at);
    const stream = this.streams.get(streamId) ?? { frames: [], expiresAt: 0, bytes: 0 };
    const size = utf8ByteLength(frame);
    stream.frames.push({ seq, frame });
    stream.expiresAt = at + this.ttlMs;
    stream.bytes += size;
    this.totalBytes += size;
    // Re-inserting keeps the map ordered by last append, so the first entry is the one to evict.
    this.streams.delete(streamId);
    this.streams.set(streamId, stream);
    for (const [key] of this.streams) {
      if (this.streams.size <= this.maxStreams && this.totalBytes <= this.maxBytes) break;
      this.remove(key);
    }
  }

  async since(streamId: string, afterSeq: number): Promise<string[] | undefined> {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    if (stream.expiresAt <= this.now()) {
      this.remove(streamId);
      return undefined;
    }
    return contiguousAfter(stream.frames, afterSeq);
  }

  private dropExpired(at: number): void {
    for (const [key, stream] of this.streams) {
      if (stream.expiresAt > at) return;
      this.remove(key);
    }
  }

  private remove(streamId: string): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    this.totalBytes -= stream.bytes;
    this.streams.delete(streamId);
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
