import { type Clock, systemClock } from './clock.js';

/**
 * The time budget of a `Deadline` ran out.
 *
 * It is the abort reason of `Deadline.signal` when the budget (not the caller) ends the work,
 * so `signal.reason instanceof DeadlineExceededError` tells the two apart.
 */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';

  constructor(
    /** The budget the deadline was given. */
    readonly budgetMs: number,
    /** Time spent when the deadline expired. */
    readonly elapsedMs: number,
  ) {
    super(`Deadline of ${budgetMs} ms exceeded after ${Math.round(elapsedMs)} ms`);
  }
}

export interface DeadlineOptions {
  /**
   * The clock that measures the budget and drives its timer.
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * The caller's own signal (a client that went away). When it aborts, `Deadline.signal`
   * aborts with the same reason, so the work stops but is not reported as a timeout.
   * @default - only the budget can abort the deadline
   */
  readonly signal?: AbortSignal;
}

/**
 * A time budget for a piece of work, with an `AbortSignal` to hand to everything it calls.
 *
 * The signal aborts with a `DeadlineExceededError` when the budget runs out, or with the
 * caller's reason (an `AbortError` unless the caller chose another) when the caller's signal
 * aborts first. A budget of 0 or less is expired from the start; `Infinity` never expires.
 * Call `dispose()` when the work ends (in a `finally`): it releases the timer, which would
 * otherwise keep running until the budget is spent.
 *
 * @example
 * const deadline = new Deadline(3_000, { signal: request.signal });
 * try {
 *   const attempt = deadline.child(modelTimeoutMs); // at most the model's timeout
 *   try {
 *     return await runtime.invoke(modelRequest, attempt.signal);
 *   } finally {
 *     attempt.dispose();
 *   }
 * } finally {
 *   deadline.dispose();
 * }
 */
export class Deadline {
  /** The budget in ms this deadline started with. */
  readonly budgetMs: number;
  /** The clock the deadline runs on; `retry` sleeps on it too. */
  readonly clock: Clock;
  /** Aborts when the budget runs out or the caller's signal aborts, whichever comes first. */
  readonly signal: AbortSignal;

  private readonly startedAt: number;
  private readonly controller = new AbortController();
  private readonly timer = new AbortController();
  private readonly children = new Set<Deadline>();
  private parent: Deadline | undefined;
  private unlinkCaller: () => void = () => {};

  /** Starts the budget now. Throws a `RangeError` when `budgetMs` is `NaN`. */
  constructor(budgetMs: number, options: DeadlineOptions = {}) {
    if (Number.isNaN(budgetMs)) throw new RangeError('A deadline budget must be a number, got NaN');
    this.budgetMs = Math.max(0, budgetMs);
    this.clock = options.clock ?? systemClock;
    this.signal = this.controller.signal;
    this.startedAt = this.clock.now();

    const caller = options.signal;
    if (caller?.aborted) {
      this.abort(callerReason(caller));
      return;
    }
    if (this.budgetMs === 0) {
      this.abort(new DeadlineExceededError(this.budgetMs, 0));
      return;
    }
    if (caller) {
      const onAbort = (): void => this.abort(callerReason(caller));
      caller.addEventListener('abort', onAbort, { once: true });
      this.unlinkCaller = () => caller.removeEventListener('abort', onAbort);
    }
    if (Number.isFinite(this.budgetMs)) {
      this.clock.sleep(this.budgetMs, this.timer.signal).then(
        () => this.abort(new DeadlineExceededError(this.budgetMs, this.elapsedMs())),
        () => {}, // the timer was released
      );
    }
  }

  /** Time spent since the deadline started. */
  elapsedMs(): number {
    return this.clock.now() - this.startedAt;
  }

  /** Time left, never below 0; 0 once the budget (this one or a parent's) has run out. */
  remainingMs(): number {
    if (this.signal.reason instanceof DeadlineExceededError) return 0;
    return Math.max(0, this.budgetMs - this.elapsedMs());
  }

  /** The budget ran out. A caller's abort alone does not make a deadline expired. */
  get expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * A sub-budget of at most `maxMs`, never longer than what this deadline has left.
   *
   * The child's signal also aborts when this deadline's does, with the same reason, so a
   * parent timeout or a caller abort reaches every attempt. Disposing this deadline disposes
   * its children.
   */
  child(maxMs: number): Deadline {
    const child = new Deadline(Math.min(maxMs, this.remainingMs()), {
      clock: this.clock,
      signal: this.signal,
    });
    child.parent = this;
    this.children.add(child);
    return child;
  }

  /**
   * Releases the timer, the listener on the caller's signal and every child's. Idempotent.
   * After it, the signal keeps its state: if it had not aborted, it never will.
   */
  dispose(): void {
    this.release();
    for (const child of this.children) child.dispose();
    this.parent?.children.delete(this);
    this.parent = undefined;
  }

  private abort(reason: unknown): void {
    this.release();
    this.controller.abort(reason);
  }

  private release(): void {
    this.timer.abort(timerReleased);
    this.unlinkCaller();
    this.unlinkCaller = () => {};
  }
}

/**
 * Why a deadline's timer stops early. One shared reason: `abort()` with none builds a
 * DOMException, stack and all, and every model call releases a few deadlines.
 */
const timerReleased = new Error('the deadline was released');

function callerReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
