import type { Clock } from '@mangaassist/commons';
import type { ServerFrame } from '@mangaassist/contracts';
import type { FrameLog } from './frame-log.js';
import type { PushOutcome } from './outgoing-stream.js';
import { webSocketErrorCodes } from './websocket-error-codes.js';
import { type FramePosition, serializeFrame } from './websocket-frames.js';

export interface StreamResumerOptions {
  readonly frames: FrameLog;
  /** Pushes a frame's JSON to a connection; never throws (a gone client's record is forgotten). */
  readonly push: (connectionId: string, data: string) => Promise<PushOutcome>;
  /** Builds an `error` frame within the frame size limit. */
  readonly error: (code: string, message: string, position: FramePosition) => ServerFrame;
  readonly clock: Clock;
  /** Longest time one resume follows a running stream before it answers `resume_timeout`. */
  readonly followMs: number;
}

/** The first pause between two reads of the log while following; it doubles while nothing comes. */
export const resumeFirstPollMs = 150;
/** The longest pause between two reads of the log while following. */
export const resumeLongestPollMs = 500;
/** Reads of the log in a row that may fail (Redis unreachable) before a follower gives up. */
const maxFailedReads = 3;

type Forwarded = 'ended' | 'more' | 'stopped';

/**
 * Answers `resume`: replays the logged frames after the client's `lastSeq`, then, while the
 * stream is still running, follows its log (a read every 150 ms, backing off to 500 ms while
 * nothing comes) and forwards each new frame, until one of:
 * - a terminal frame (`complete` or `error`, including `stream_aborted`) has been forwarded;
 * - the connection is gone (a push answers `ConnectionGoneError`), it disconnects (`stop`), or
 *   the same connection resumes the same stream again (the newer resume takes over);
 * - `followMs` has passed: the client gets `error` `resume_timeout`.
 * Every resume ends with a frame that tells the client where it stands, and no frame comes twice:
 * a client that already saw the stream's end (`lastSeq` at or past it) gets `stream_ended` without
 * a seq — not the terminal frame again — an unknown or unreadable stream `resume_unavailable`, a
 * failed push `push_failed`. Never throws.
 *
 * Followers live in this process: deployed, a resume runs in the message Lambda (the route's
 * integration answers at 29 s, the function keeps running and pushing), so the function's
 * timeout must exceed `followMs`.
 */
export class StreamResumer {
  private readonly followers = new Map<string, Map<string, AbortController>>();

  constructor(private readonly options: StreamResumerOptions) {}

  /** Resumes the stream logged under `key` (its id `streamId`) on a connection after `lastSeq`. */
  async resume(connectionId: string, key: string, streamId: string, lastSeq: number): Promise<void> {
    const follower = this.register(connectionId, streamId);
    try {
      await this.replayAndFollow(connectionId, key, streamId, lastSeq, follower.signal);
    } finally {
      this.unregister(connectionId, streamId, follower);
    }
  }

  /** Stops the followers of a connection that has gone (its `$disconnect`). */
  stop(connectionId: string): void {
    for (const follower of this.followers.get(connectionId)?.values() ?? []) follower.abort();
    this.followers.delete(connectionId);
  }

  private async replayAndFollow(
    connectionId: string,
    key: string,
    streamId: string,
    lastSeq: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { frames } = this.options;
    // Reading from the frame the client saw last tells whether the stream already ended there.
    const overlap = lastSeq >= 0 ? 1 : 0;
    const logged = await frames.since(key, lastSeq - overlap);
    if (signal.aborted) return;
    if (logged === undefined) {
      await this.unavailable(connectionId, streamId);
      return;
    }
    const seen = overlap === 1 ? logged[0] : undefined;
    if (seen !== undefined && isTerminal(seen)) {
      await this.ended(connectionId, streamId, lastSeq);
      return;
    }
    if (logged.length === 0) {
      // `lastSeq` is past the newest frame logged: the stream may have ended before it.
      const all = await frames.since(key, -1);
      const last = all?.at(-1);
      if (all !== undefined && last !== undefined && isTerminal(last)) {
        await this.ended(connectionId, streamId, all.length - 1);
        return;
      }
    }
    const fresh = logged.slice(overlap);
    if ((await this.forward(connectionId, streamId, fresh)) !== 'more') return;
    await this.follow(connectionId, key, streamId, lastSeq + fresh.length, signal);
  }

  private async follow(
    connectionId: string,
    key: string,
    streamId: string,
    lastSent: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { clock, frames, followMs } = this.options;
    const deadline = clock.now() + followMs;
    let pause = resumeFirstPollMs;
    let failedReads = 0;
    for (let after = lastSent; ; ) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        await this.send(
          connectionId,
          this.options.error(
            webSocketErrorCodes.resumeTimeout,
            `The stream did not end within ${Math.round(followMs / 1000)} s of the resume; resume again from the last seq received, or send the message again.`,
            { streamId },
          ),
        );
        return;
      }
      try {
        await clock.sleep(Math.min(pause, remaining), signal);
      } catch {
        return; // stopped: the connection went away, or a newer resume took over
      }
      const next = await frames.since(key, after);
      if (signal.aborted) return;
      if (next === undefined) {
        failedReads += 1;
        if (failedReads >= maxFailedReads) {
          await this.unavailable(connectionId, streamId);
          return;
        }
        pause = resumeLongestPollMs;
        continue;
      }
      failedReads = 0;
      if (next.length === 0) {
        pause = Math.min(pause * 2, resumeLongestPollMs);
        continue;
      }
      pause = resumeFirstPollMs;
      if ((await this.forward(connectionId, streamId, next)) !== 'more') return;
      after += next.length;
    }
  }

  /** Pushes logged frames in order; stops at a terminal frame or a failed push. */
  private async forward(
    connectionId: string,
    streamId: string,
    frames: readonly string[],
  ): Promise<Forwarded> {
    for (const data of frames) {
      const outcome = await this.options.push(connectionId, data);
      if (outcome === 'failed') {
        await this.send(
          connectionId,
          this.options.error(
            webSocketErrorCodes.pushFailed,
            'A frame of the stream could not be delivered; resume again from the last seq received.',
            { streamId },
          ),
        );
      }
      if (outcome !== 'sent') return 'stopped';
      if (isTerminal(data)) return 'ended';
    }
    return 'more';
  }

  /** Tells a client that already has the stream's end (at `endSeq`) that nothing follows it. */
  private async ended(connectionId: string, streamId: string, endSeq: number): Promise<void> {
    await this.send(
      connectionId,
      this.options.error(
        webSocketErrorCodes.streamEnded,
        `The stream ended at seq ${endSeq}, which you have; nothing follows it.`,
        { streamId },
      ),
    );
  }

  private async unavailable(connectionId: string, streamId: string): Promise<void> {
    await this.send(
      connectionId,
      this.options.error(
        webSocketErrorCodes.resumeUnavailable,
        'This stream cannot be resumed (unknown or expired); send the message again.',
        { streamId },
      ),
    );
  }

  private async send(connectionId: string, frame: ServerFrame): Promise<void> {
    await this.options.push(connectionId, serializeFrame(frame));
  }

  private register(connectionId: string, streamId: string): AbortController {
    const streams = this.followers.get(connectionId) ?? new Map<string, AbortController>();
    streams.get(streamId)?.abort();
    const follower = new AbortController();
    streams.set(streamId, follower);
    this.followers.set(connectionId, streams);
    return follower;
  }

  private unregister(connectionId: string, streamId: string, follower: AbortController): void {
    const streams = this.followers.get(connectionId);
    if (streams?.get(streamId) !== follower) return;
    streams.delete(streamId);
    if (streams.size === 0) this.followers.delete(connectionId);
  }
}

/** Whether a logged frame ends its stream (`complete` or `error`). */
/** Whether a logged frame ends its stream (`complete` or `error`). */
export function isTerminal(data: string): boolean {
  try {
    const frame: unknown = JSON.parse(data);
    const type = typeof frame === 'object' && frame !== null && 'type' in frame ? frame.type : undefined;
    return type === 'complete' || type === 'error';
  } catch {
    return false;
  }
}
