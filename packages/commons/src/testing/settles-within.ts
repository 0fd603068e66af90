/**
 * `promise`, or a rejection naming `what` when it has not settled within `ms` of real time: a
 * test whose subject hangs then fails with a message instead of running into the test timeout.
 * The guard is a liveness check, not a speed assertion: give it far more time than needed.
 *
 * @example
 * await expect(settlesWithin(publisher.publish(events), 10_000, 'PutEvents')).rejects.toThrow(EventPublishError);
 */
export function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}
