/** An epoch tests start at: 2025-01-01T00:00:00Z. */
export const testEpoch = Date.UTC(2025, 0, 1);

/** A wall clock the test moves by hand. */
export function manualClock(at = testEpoch) {
  let current = at;
  return {
    now: () => current,
    advanceSeconds: (seconds: number) => {
      current += seconds * 1_000;
    },
  };
}
