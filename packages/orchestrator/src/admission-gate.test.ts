import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdmissionGate, admissionFromEnvironment, defaultAdmission } from './admission-gate.js';

/** Whether `promise` has settled, after the pending reactions have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('AdmissionGate', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to its limit at once, then one waiter per answer begun, in arrival order', async () => {
    const gate = new AdmissionGate({ limit: 2, maxWaitMs: 1_000 });
    const first = await gate.admit();
    const second = await gate.admit();
    const admitted: string[] = [];
    const third = gate.admit().then((begun) => {
      admitted.push('third');
      return begun;
    });
    const fourth = gate.admit().then((begun) => {
      admitted.push('fourth');
      return begun;
    });
    expect({ starting: gate.starting, waiting: gate.waiting }).toEqual({ starting: 2, waiting: 2 });
    expect(await settled(third)).toBe(false);

    second?.();
    expect(await third).toBeTypeOf('function');
    expect(admitted).toEqual(['third']);
    first?.();
    expect(await fourth).toBeTypeOf('function');
    expect(admitted).toEqual(['third', 'fourth']);
    expect({ starting: gate.starting, waiting: gate.waiting }).toEqual({ starting: 2, waiting: 0 });
  });

  it('refuses a request that waited its whole wait, and admits the ones behind it in turn', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 1_000 });
    const first = await gate.admit();
    const early = gate.admit();
    await vi.advanceTimersByTimeAsync(500);
    const late = gate.admit();

    await vi.advanceTimersByTimeAsync(499);
    expect(await settled(early)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await early).toBeUndefined();
    expect(gate.waiting).toBe(1);

    first?.();
    expect(await late).toBeTypeOf('function');
    expect(gate.starting).toBe(1);
  });

  it('counts a begun answer once, however often it is reported', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 1_000 });
    const first = await gate.admit();
    const second = gate.admit();
    const third = gate.admit();
    first?.();
    first?.();
    expect(await settled(second)).toBe(true);
    expect(await settled(third)).toBe(false);
    expect(gate.starting).toBe(1);
  });

  it('stops waiting for a request whose client went away, and skips it', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 1_000 });
    const first = await gate.admit();
    const gone = new AbortController();
    const leaving = gate.admit(gone.signal);
    const staying = gate.admit();

    gone.abort();
    expect(await leaving).toBeUndefined();
    expect(gate.waiting).toBe(1);
    first?.();
    const begun = await staying;
    expect(begun).toBeTypeOf('function');
    begun?.();
    expect({ starting: gate.starting, waiting: gate.waiting }).toEqual({ starting: 0, waiting: 0 });
    expect(await gate.admit()).toBeTypeOf('function');
  });

  it('admits nothing for a request already gone', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 1_000 });
    expect(await gate.admit(AbortSignal.abort())).toBeUndefined();
    expect(gate.starting).toBe(0);
  });

  it('admits at once below its limit, even after waiters gave up behind a live one', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 1_000 });
    const first = await gate.admit();
    const live = gate.admit();
    const gone = new AbortController();
    const leaving = gate.admit(gone.signal);
    gone.abort();
    await leaving;
    first?.();
    (await live)?.();

    expect(gate.starting).toBe(0);
    expect(await settled(gate.admit())).toBe(true);
  });

  it('passes over a waiter that gave up between two live ones, admitting nobody twice', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 1_000 });
    const first = await gate.admit();
    const second = gate.admit();
    const gone = new AbortController();
    const leaving = gate.admit(gone.signal);
    const fourth = gate.admit();
    gone.abort();
    await leaving;

    first?.();
    (await second)?.();

    expect(await settled(fourth)).toBe(true);
    expect({ starting: gate.starting, waiting: gate.waiting }).toEqual({ starting: 1, waiting: 0 });
  });

  it('keeps its order through a queue longer than it compacts at', async () => {
    const gate = new AdmissionGate({ limit: 1, maxWaitMs: 60_000 });
    let begun = await gate.admit();
    const order: number[] = [];
    const waiters = Array.from({ length: 3_000 }, (_, index) =>
      gate.admit().then((next) => {
        order.push(index);
        return next;
      }),
    );
    for (const waiter of waiters) {
      begun?.();
      begun = await waiter;
    }
    expect(order).toEqual(Array.from({ length: 3_000 }, (_, index) => index));
  });

  it('refuses a limit below 1 and a negative wait', () => {
    expect(() => new AdmissionGate({ limit: 0, maxWaitMs: 1 })).toThrow(/above 0/);
    expect(() => new AdmissionGate({ limit: 1.5, maxWaitMs: 1 })).toThrow(/whole number/);
    expect(() => new AdmissionGate({ limit: 1, maxWaitMs: -1 })).toThrow(/0 to 2147483647 ms/);
    expect(() => new AdmissionGate({ limit: 1, maxWaitMs: 2 ** 31 })).toThrow(/0 to 2147483647 ms/);
  });
});

describe('admissionFromEnvironment', () => {
  it('reads MAX_STARTING_REQUESTS and ADMISSION_WAIT_MS, each defaulting on its own', () => {
    expect(admissionFromEnvironment({})).toEqual(defaultAdmission);
    expect(admissionFromEnvironment({ MAX_STARTING_REQUESTS: '64', ADMISSION_WAIT_MS: '' })).toEqual({
      limit: 64,
      maxWaitMs: defaultAdmission.maxWaitMs,
    });
    expect(admissionFromEnvironment({ ADMISSION_WAIT_MS: '0' })).toEqual({
      limit: defaultAdmission.limit,
      maxWaitMs: 0,
    });
  });

  it('fails at start on a value out of range, naming the variable', () => {
    expect(() => admissionFromEnvironment({ MAX_STARTING_REQUESTS: '0' })).toThrow(
      /MAX_STARTING_REQUESTS must be a whole number from 1 to 1000000, got 0/,
    );
    expect(() => admissionFromEnvironment({ ADMISSION_WAIT_MS: '1.5' })).toThrow(/ADMISSION_WAIT_MS/);
    expect(() => admissionFromEnvironment({ ADMISSION_WAIT_MS: '-1' })).toThrow(/ADMISSION_WAIT_MS/);
    expect(() => admissionFromEnvironment({ ADMISSION_WAIT_MS: '3000000000' })).toThrow(/to 2147483647/);
  });
});
