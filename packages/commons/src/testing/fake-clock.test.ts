import { describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.js';

describe('createFakeClock', () => {
  it('resolves a sleep only when advance passes its time', async () => {
    const clock = createFakeClock();
    let woke = false;
    void clock.sleep(100).then(() => {
      woke = true;
    });

    await clock.advance(99);
    expect(woke).toBe(false);
    await clock.advance(1);
    expect(woke).toBe(true);
    expect(clock.now()).toBe(100);
  });

  it('wakes sleepers in due order, each at its own time', async () => {
    const clock = createFakeClock();
    const woke: Array<[string, number]> = [];
    void clock.sleep(30).then(() => woke.push(['late', clock.now()]));
    void clock.sleep(10).then(() => woke.push(['early', clock.now()]));

    await clock.advance(50);

    expect(woke).toEqual([
      ['early', 10],
      ['late', 30],
    ]);
    expect(clock.now()).toBe(50);
  });

  it('fires sleeps scheduled during an advance when they fall inside it', async () => {
    const clock = createFakeClock();
    let woke = 0;
    void clock
      .sleep(10)
      .then(() => clock.sleep(10))
      .then(() => {
        woke = clock.now();
      });

    await clock.advance(25);

    expect(woke).toBe(20);
  });

  it('rejects a sleep with the reason when its signal aborts, and forgets it', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const slept = clock.sleep(100, controller.signal);

    controller.abort(new Error('stop'));

    await expect(slept).rejects.toThrow('stop');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('resolves a sleep of 0 ms at once', async () => {
    const clock = createFakeClock();

    await expect(clock.sleep(0)).resolves.toBeUndefined();
  });
});
