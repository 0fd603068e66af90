import type { ServerFrame } from '@mangaassist/contracts';
import { deltaFrames, serializeFrame } from './websocket-frames.js';

/** How one push ended: delivered, the client is gone (API Gateway's 410), or another failure. */
export type PushOutcome = 'sent' | 'gone' | 'failed';

/** Where a stream's frames go. Neither function throws. */
export interface StreamChannel {
  /** Pushes a frame's JSON to the client. */
  readonly push: (data: string) => Promise<PushOutcome>;
  /** Logs a frame's JSON at its seq, for `resume`; resolves false when it could not. */
  readonly log: (seq: number, data: string) => Promise<boolean>;
}

export interface OutgoingStreamOptions {
  readonly streamId: string;
  /** Largest frame JSON, UTF-8 bytes: longer delta text becomes several frames. */
  readonly maxFrameBytes: number;
  readonly channel: StreamChannel;
  /** Called once, at the first push that fails (to stop the model call). */
  readonly onFailure?: () => void;
}

/**
 * The outgoing frames of one stream, numbered `seq` 0, 1, 2 … in the order they are queued; each
 * is logged (for `resume`) and pushed, concurrently, one push at a time.
 *
 * - Delta text queued while a push is in flight waits and leaves, all of it, as one frame (or
 *   as few as `maxFrameBytes` allows) when that push completes: a fast model costs one
 *   PostToConnection per round trip, not one per token. Seq numbers stay contiguous.
 * - After the first failed push (`failed` says how), frames are still numbered and logged but
 *   no longer pushed, so a `resume` can still deliver them; `onFailure` runs once. `resumable`
 *   says whether every frame so far made it into the log.
 *
 * Never throws.
 */
export class OutgoingStream {
  private seq = 0;
  private pendingText = '';
  private deltaQueued = false;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Exclude<PushOutcome, 'sent'> | undefined;
  private terminal = false;
  private unlogged = false;

  constructor(private readonly options: OutgoingStreamOptions) {}

  /** How the first failed push failed; undefined while every push has been delivered. */
  get failed(): Exclude<PushOutcome, 'sent'> | undefined {
    return this.failure;
  }

  /** Whether every frame so far has been logged, so that a `resume` can deliver the whole stream. */
  get resumable(): boolean {
    return !this.unlogged;
  }

  /** Whether a `complete` or `error` frame has been numbered (and logged): the stream has its end. */
  get ended(): boolean {
    return this.terminal;
  }

  /** Queues delta text; it leaves in the next delta frame. */
  delta(text: string): void {
    if (text === '') return;
    this.pendingText += text;
    if (this.deltaQueued) return;
    this.deltaQueued = true;
    void this.enqueue(() => this.sendPendingText());
  }

  /**
   * Queues a frame after everything queued before it; `build` receives the frame's seq.
   * Resolves true once it has been pushed; false when it was only logged (a push failed).
   */
  send(build: (seq: number) => ServerFrame): Promise<boolean> {
    return this.enqueue(() => this.transmit(build(this.seq)));
  }

  /** Like `send`, but also pushed after a failed push: one last attempt to tell the client. */
  sendFinal(build: (seq: number) => ServerFrame): Promise<boolean> {
    return this.enqueue(() => this.transmit(build(this.seq), true));
  }

  /** Resolves when every frame queued so far has been logged and pushed (or given up). */
  async settled(): Promise<void> {
    for (let current = this.queue; ; current = this.queue) {
      await current;
      if (current === this.queue) return;
    }
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendPendingText(): Promise<void> {
    this.deltaQueued = false;
    const text = this.pendingText;
    this.pendingText = '';
    for (const frame of deltaFrames(this.options.streamId, this.seq, text, this.options.maxFrameBytes)) {
      await this.transmit(frame);
    }
  }

  private async transmit(frame: ServerFrame, evenAfterFailure = false): Promise<boolean> {
    const data = serializeFrame(frame);
    const seq = this.seq++;
    if (frame.type === 'complete' || frame.type === 'error') this.terminal = true;
    const { channel } = this.options;
    if (this.failure !== undefined && !evenAfterFailure) {
      if (!(await channel.log(seq, data))) this.unlogged = true;
      return false;
    }
    const [outcome, logged] = await Promise.all([channel.push(data), channel.log(seq, data)]);
    if (!logged) this.unlogged = true;
    if (outcome === 'sent') return true;
    if (this.failure === undefined) {
      this.failure = outcome;
      this.options.onFailure?.();
    }
    return false;
  }
}
