/** Thrown by `boundedCall` when the call has not settled in time. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`No reply within ${timeoutMs} ms`);
  }
}

/**
 * Runs `call` and settles with it, or rejects with `CallTimeoutError` after `timeoutMs`. The
 * call itself is not cancelled: it is left to finish or fail on its own, and a late rejection
 * is swallowed so it never surfaces as unhandled.
 */
export async function boundedCall<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const pending = call();
  pending.catch(() => {});
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
