import { describe, expect, it } from 'vitest';
import { Deadline, DeadlineExceededError } from './deadline.js';
import { createFakeClock } from './testing/fake-clock.js';

describe('Deadline', () => {
  it('counts the remaining budget down on its clock', async () => {
    const clock = createFakeClock();
    const deadline = new Deadline(1_000, { clock });

    await clock.advance(400);

    expect(deadline.remainingMs()).toBe(600);
    expect(deadline.elapsedMs()).toBe(400);
    expect(deadline.expired).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
  });

  it('aborts its signal with a DeadlineExceededError when the budget runs out', async () => {
    const clock = createFakeClock();
    const deadline = new Deadline(1_000, { clock });

    await clock.advance(1_000);

    expect(deadline.expired).toBe(true);
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect(deadline.signal.reason).toMatchObject({
      name: 'DeadlineExceededError',
      budgetMs: 1_000,
      elapsedMs: 1_000,
    });
  });

  it("aborts with the caller's reason, not as a timeout, when the caller aborts first", async () => {
    const clock = createFakeClock();
    const caller = new AbortController();
    const deadline = new Deadline(1_000, { clock, signal: caller.signal });

    await clock.advance(100);
    caller.abort();

    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ name: 'AbortError' });
    expect(deadline.signal.reason).not.toBeInstanceOf(DeadlineExceededError);
    expect(deadline.expired).toBe(false);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('starts aborted when the caller has already aborted', () => {
    const caller = new AbortController();
    const reason = new Error('client went away');
    caller.abort(reason);

    const deadline = new Deadline(1_000, { clock: createFakeClock(), signal: caller.signal });

    expect(deadline.signal.reason).toBe(reason);
  });

  it('starts expired with a budget of 0', () => {
    const deadline = new Deadline(0, { clock: createFakeClock() });

    expect(deadline.expired).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('gives a child the smaller of its own limit and what the parent has left', async () => {
    const clock = createFakeClock();
    const parent = new Deadline(3_000, { clock });

    expect(parent.child(1_000).budgetMs).toBe(1_000);
    await clock.advance(2_500);
    expect(parent.child(1_000).budgetMs).toBe(500);
    parent.dispose();
  });

  it('expires a child on its own budget while the parent runs on', async () => {
    const clock = createFakeClock();
    const parent = new Deadline(3_000, { clock });
    const child = parent.child(1_000);

    await clock.advance(1_000);

    expect(child.signal.reason).toMatchObject({ name: 'DeadlineExceededError', budgetMs: 1_000 });
    expect(parent.signal.aborted).toBe(false);
    expect(parent.remainingMs()).toBe(2_000);
    parent.dispose();
  });

  it("passes the parent's abort reason to its children", async () => {
    const clock = createFakeClock();
    const caller = new AbortController();
    const parent = new Deadline(3_000, { clock, signal: caller.signal });
    const child = parent.child(1_000);

    caller.abort();

    expect(child.signal.reason).toMatchObject({ name: 'AbortError' });
    expect(child.expired).toBe(false);
  });

  it("releases its timer and its children's on dispose, and never aborts afterwards", async () => {
    const clock = createFakeClock();
    const caller = new AbortController();
    const parent = new Deadline(3_000, { clock, signal: caller.signal });
    const child = parent.child(1_000);
    expect(clock.pendingSleeps).toBe(2);

    parent.dispose();
    await clock.advance(5_000);
    caller.abort();

    expect(clock.pendingSleeps).toBe(0);
    expect(parent.signal.aborted).toBe(false);
    expect(child.signal.aborted).toBe(false);
  });

  it('rejects a budget that is not a number', () => {
    expect(() => new Deadline(Number.NaN, { clock: createFakeClock() })).toThrow(RangeError);
  });
});
