import type { Logger } from '../logger.js';

/** One call of a `recordingLogger`. */
export interface LogEntry {
  readonly level: keyof Logger;
  readonly message: string;
  /** The structured fields of the call (the first fields argument), if any. */
  readonly fields: Record<string, unknown> | undefined;
}

/**
 * A `Logger` that keeps every call in order, for tests: `entries` as logged, `lines()` as one JSON
 * text of `{ level, message, ...fields }` objects (to assert that a secret never appears in a log).
 *
 * @example
 * const logger = recordingLogger();
 * expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn' }));
 */
export function recordingLogger(): Logger & { readonly entries: LogEntry[]; lines(): string } {
  const entries: LogEntry[] = [];
  const record =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push({ level, message, fields });
    };
  return {
    entries,
    lines: () => JSON.stringify(entries.map(({ level, message, fields }) => ({ level, message, ...fields }))),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}
