import { describe, expect, it } from 'vitest';
import { boundedCall, CallTimeoutError } from './bounded-call.js';

/** A call that settles only when its signal aborts, recording the reason. */
function callUntilAborted() {
  const reasons: unknown[] = [];
  const call = (signal: AbortSignal) =>
    new Promise<string>((_, reject) => {
      signal.addEventListener('abort', () => {
        reasons.push(signal.reason);
        reject(new Error('dropped'));
      });
    });
  return { call, reasons };
}

describe('boundedCall', () => {
  it('settles with the value of a call that answers in time', async () => {
    await expect(boundedCall(async () => 'OK', 1_000)).resolves.toBe('OK');
  });

  it('settles with the error of a call that fails in time', async () => {
    await expect(boundedCall(async () => Promise.reject(new Error('WRONGTYPE')), 1_000)).rejects.toThrow(
      'WRONGTYPE',
    );
  });

  it('rejects with CallTimeoutError when the call has not settled in time', async () => {
    const { call } = callUntilAborted();
    await expect(boundedCall(call, 5)).rejects.toBeInstanceOf(CallTimeoutError);
  });

  it("aborts the call's signal with the timeout, so the call can let go of what it waits for", async () => {
    const { call, reasons } = callUntilAborted();
    await boundedCall(call, 5).catch(() => {});
    expect(reasons).toEqual([expect.objectContaining({ name: 'CallTimeoutError', timeoutMs: 5 })]);
  });

  it('leaves the signal alone once the call has answered', async () => {
    let seen: AbortSignal | undefined;
    await boundedCall(async (signal) => {
      seen = signal;
      return 'OK';
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.aborted).toBe(false);
  });
});
