import { ConfigurationError } from '@mangaassist/commons';

/**
 * Bounds how many requests are starting at once: admitted, and their answer not begun (a stream
 * before its first token, any other request before its answer). Starting is where a request
 * costs the server's CPU (parsing, signing, the model call's setup); a stream that has begun
 * mostly waits. Past `limit`, requests wait in arrival order for `maxWaitMs` at most, then are
 * refused, so that a burst beyond the server's pace gets quick 503s and the requests admitted
 * still meet their first-token deadline, instead of every request sharing the CPU until all of
 * them miss it.
 */
export class AdmissionGate {
  readonly #limit: number;
  readonly #maxWaitMs: number;
  #starting = 0;
  /** In arrival order; `head` is the first still to consider (settled waiters are skipped). */
  #queue: Waiter[] = [];
  #head = 0;
  #waiting = 0;

  constructor(options: AdmissionOptions) {
    if (!(Number.isInteger(options.limit) && options.limit > 0)) {
      throw new RangeError(`An admission limit must be a whole number above 0, got ${options.limit}`);
    }
    // A Node timer longer than 2^31 - 1 ms fires at once.
    if (!(options.maxWaitMs >= 0 && options.maxWaitMs <= maxTimerMs)) {
      throw new RangeError(`An admission wait is 0 to ${maxTimerMs} ms, got ${options.maxWaitMs}`);
    }
    this.#limit = options.limit;
    this.#maxWaitMs = options.maxWaitMs;
  }

  /** Requests admitted whose answer has not begun. */
  get starting(): number {
    return this.#starting;
  }

  /** Requests waiting to be admitted. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Admits a request now, or once one starting before it begins its answer: resolves with the
   * `begun` callback to call when its answer begins or it ends (once is enough; later calls do
   * nothing). Resolves with `undefined` when it waited `maxWaitMs` in vain or `signal` aborted
   * first: the request is not admitted.
   */
  admit(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    // Below the limit nobody waits: every release admits the waiters first.
    if (this.#starting < this.#limit) return Promise.resolve(this.#enter());
    return new Promise((resolve) => {
      const waiter: Waiter = {
        settled: false,
        settle: (admitted) => {
          waiter.settled = true;
          this.#waiting--;
          clearTimeout(timer);
          signal?.removeEventListener('abort', giveUp);
          resolve(admitted ? this.#enter() : undefined);
        },
      };
      const giveUp = () => {
        if (waiter.settled) return;
        waiter.settle(false);
        this.#compact();
      };
      const timer = setTimeout(giveUp, this.#maxWaitMs);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.#queue.push(waiter);
      this.#waiting++;
    });
  }

  #enter(): () => void {
    this.#starting++;
    let begun = false;
    return () => {
      if (begun) return;
      begun = true;
      this.#starting--;
      this.#admitNext();
    };
  }

  #admitNext(): void {
    // Called as one leaves, so there is room. The head is a waiter still waiting, if any:
    // `#compact` passes over the ones that gave up.
    const waiter = this.#queue[this.#head];
    if (waiter === undefined) return;
    this.#head++;
    waiter.settle(true);
    this.#compact();
  }

  /** Drops the settled waiters at the head, and the array's spent front once it is most of it. */
  #compact(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]?.settled) this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

export interface AdmissionOptions {
  /** Requests starting at once. */
  readonly limit: number;
  /** How long a request waits to be admitted before it is refused. */
  readonly maxWaitMs: number;
}

interface Waiter {
  settled: boolean;
  settle(admitted: boolean): void;
}

/** The longest a Node timer waits: a longer one fires at once. */
const maxTimerMs = 2_147_483_647;

/** The server's admission by default: sized for a task of 1–2 vCPU. */
export const defaultAdmission: AdmissionOptions = { limit: 256, maxWaitMs: 1_000 };

/**
 * The admission from `MAX_STARTING_REQUESTS` and `ADMISSION_WAIT_MS` (each defaults as
 * `defaultAdmission`); a value that is not a whole number in range fails, naming the variable.
 */
export function admissionFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): AdmissionOptions {
  const read = (name: string, fallback: number, least: number, most: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < least || value > most) {
      throw new ConfigurationError(`${name} must be a whole number from ${least} to ${most}, got ${raw}`);
    }
    return value;
  };
  return {
    limit: read('MAX_STARTING_REQUESTS', defaultAdmission.limit, 1, 1_000_000),
    maxWaitMs: read('ADMISSION_WAIT_MS', defaultAdmission.maxWaitMs, 0, maxTimerMs),
  };
}
