/** Waits `ms` milliseconds, rejecting early if `signal` aborts; injectable so tests need no real clock. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Applies configured delays for one request, and gives up as soon as the client goes away. */
export class Pacer {
  constructor(
    private readonly sleep: Sleep,
    readonly signal: AbortSignal,
  ) {}

  /** Resolves true after the delay (at once for 0), false when the client has gone. */
  async wait(ms: number): Promise<boolean> {
    if (this.signal.aborted) return false;
    if (ms <= 0) return true;
    try {
      await this.sleep(ms, this.signal);
    } catch (error) {
      if (this.signal.aborted) return false;
      throw error;
    }
    return !this.signal.aborted;
  }
}
