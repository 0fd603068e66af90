import type { Clock } from '../clock.js';

/** A `Clock` whose time moves only when a test calls `advance`. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, waking every sleeper whose time has come, in due order, and
   * letting the code each one resumes run before the next wakes (so sleeps scheduled while
   * advancing also fire if they fall inside the window). Always `await` it.
   */
  advance(ms: number): Promise<void>;
  /** Sleeps not yet resolved or aborted: lets a test prove that timers were released. */
  readonly pendingSleeps: number;
}

interface Sleeper {
  readonly due: number;
  readonly order: number;
  readonly wake: () => void;
}

// A macrotask turn: every promise continuation queued so far runs before it resolves.
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Creates a fake clock for tests, starting at `startMs` (default 0).
 *
 * `sleep(ms)` resolves when `advance` passes `now() + ms`; `sleep(0)` (or less) resolves at
 * once. An abort rejects the sleep with the signal's reason, as `systemClock` does.
 *
 * @example
 * const clock = createFakeClock();
 * const slept = clock.sleep(100);
 * await clock.advance(100); // `slept` is now resolved
 */
export function createFakeClock(startMs = 0): FakeClock {
  let now = startMs;
  let order = 0;
  const sleepers = new Set<Sleeper>();

  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (ms <= 0) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        sleepers.delete(sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        due: now + ms,
        order: order++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      sleepers.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  const nextDue = (until: number): Sleeper | undefined => {
    let next: Sleeper | undefined;
    for (const sleeper of sleepers) {
      if (sleeper.due > until) continue;
      if (!next || sleeper.due < next.due || (sleeper.due === next.due && sleeper.order < next.order)) {
        next = sleeper;
      }
    }
    return next;
  };

  const advance = async (ms: number): Promise<void> => {
    if (ms < 0) throw new RangeError(`Cannot advance a clock backwards (${ms} ms)`);
    const target = now + ms;
    await settle();
    for (let sleeper = nextDue(target); sleeper; sleeper = nextDue(target)) {
      sleepers.delete(sleeper);
      now = sleeper.due;
      sleeper.wake();
      await settle();
    }
    now = target;
    await settle();
  };

  return {
    now: () => now,
    sleep,
    advance,
    get pendingSleeps() {
      return sleepers.size;
    },
  };
}
