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
