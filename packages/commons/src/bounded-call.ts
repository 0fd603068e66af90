/** Thrown by `boundedCall` when the call has not settled in time. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`No reply within ${timeoutMs} ms`);
  }
}

/**
 * Runs `call` and settles with it, or rejects with `CallTimeoutError` after `timeoutMs`. The
 * call is handed a signal that aborts (with that `CallTimeoutError`) when the time is up, so it
 * can drop what it still waits for (listeners, a command not yet sent); whatever it already
 * started is left to finish or fail on its own, and a late rejection is swallowed so it never
 * surfaces as unhandled.
 */
export async function boundedCall<T>(
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const expiry = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = new CallTimeoutError(timeoutMs);
      reject(timeout);
      expiry.abort(timeout);
    }, timeoutMs);
  });
  try {
    const pending = call(expiry.signal);
    pending.catch(() => {});
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work`'s result, or a rejection with `signal.reason` as soon as `signal` aborts (at once when
 * it already has). The work itself is not cancelled — pass it the signal too if it can stop — and
 * its late failure after the abort is swallowed, never an unhandled rejection. No signal: `work`.
 *
 * @example const answer = await untilAborted(gateway.complete(request), deadline.signal);
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  // Promise.resolve: a stubbed client may hand back a plain value.
  const pending = Promise.resolve(work);
  pending.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
