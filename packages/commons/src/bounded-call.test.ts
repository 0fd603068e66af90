import { describe, expect, it } from 'vitest';
import { boundedCall, CallTimeoutError, untilAborted } from './bounded-call.js';

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

describe('untilAborted', () => {
  it('settles with the work when the signal does not abort', async () => {
    await expect(untilAborted(Promise.resolve('answer'), new AbortController().signal)).resolves.toBe(
      'answer',
    );
    await expect(untilAborted(Promise.reject(new Error('failed')), undefined)).rejects.toThrow('failed');
  });

  it('rejects with the signal’s reason as soon as it aborts, before the work settles', async () => {
    const controller = new AbortController();
    const never = new Promise<string>(() => {});
    const waiting = untilAborted(never, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
  });

  it('rejects at once for a signal that has already aborted, and swallows the work’s late failure', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late')), 5));
      await expect(untilAborted(late, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops listening to the signal once the work settles', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners -= 1;
      remove(...args);
    }) as typeof signal.removeEventListener;

    await untilAborted(Promise.resolve(1), signal);
    await new Promise((resolve) => setImmediate(resolve));

    expect(listeners).toBe(0);
  });
});
