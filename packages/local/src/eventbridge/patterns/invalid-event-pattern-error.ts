/** Refusals of event patterns, worded as EventBridge words them. */

/**
 * An event pattern EventBridge would refuse (`InvalidEventPatternException`). `reason` is Event
 * Ruler's explanation; the message adds EventBridge's preamble.
 */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  /** The AWS error code the EventBridge API answers with. */
  readonly code = 'InvalidEventPatternException';
  constructor(readonly reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
  }
}

/** Throws `InvalidEventPatternError` with `reason`. */
export function refusePattern(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

/** Whether a pattern node is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
