/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

interface Waiter {
  readonly grant: (release: ReleaseSlot) => void;
}

interface Lane {
  running: number;
  /** In arrival order: a `Set` keeps insertion order and lets a waiter leave in O(1). */
  readonly waiting: Set<Waiter>;
}

/**
 * A concurrency limit per local target with a first-in, first-out queue — as a Lambda function's
 * reserved concurrency bounds how many of its invocations run at once while asynchronous
 * invocations wait in its queue. Every rule sending to the same local target shares its limit.
 *
 * Throws `RangeError` when `limit` is not a positive integer.
 */
export class TargetConcurrency {
  readonly limit: number;
  readonly #lanes = new Map<string, Lane>();

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`targetConcurrency must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /**
   * Resolves with the function that gives the slot back once fewer than `limit` calls of `key`
   * run, callers being served in the order they asked. Rejects with the signal's reason when
   * `signal` aborts first (the caller leaves the queue, holding no slot).
   */
  acquire(key: string, signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const lane = this.#lane(key);
    if (lane.running < this.limit) {
      lane.running += 1;
      return Promise.resolve(this.#releaser(key, lane));
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = (): void => {
        lane.waiting.delete(waiter);
        this.#forgetIfQuiet(key, lane);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      lane.waiting.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Calls of `key` running and waiting now. */
  load(key: string): { readonly running: number; readonly waiting: number } {
    const lane = this.#lanes.get(key);
    return { running: lane?.running ?? 0, waiting: lane?.waiting.size ?? 0 };
  }

  #lane(key: string): Lane {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { running: 0, waiting: new Set() };
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  #releaser(key: string, lane: Lane): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const [next] = lane.waiting;
      if (next) {
        // The slot passes straight to the next in line: `running` stays as it is.
        lane.waiting.delete(next);
        next.grant(this.#releaser(key, lane));
        return;
      }
      lane.running -= 1;
      this.#forgetIfQuiet(key, lane);
    };
  }

  #forgetIfQuiet(key: string, lane: Lane): void {
    if (lane.running === 0 && lane.waiting.size === 0) this.#lanes.delete(key);
  }
}
