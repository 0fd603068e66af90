const msPerDay = 86_400_000;

/** The UTC calendar day of an epoch-milliseconds instant, as `YYYY-MM-DD`: the budget's day. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Whole seconds from an instant to the next UTC midnight, rounded up, at least 1. */
export function secondsUntilNextUtcMidnight(epochMs: number): number {
  const nextMidnight = (Math.floor(epochMs / msPerDay) + 1) * msPerDay;
  return Math.max(1, Math.ceil((nextMidnight - epochMs) / 1_000));
}
