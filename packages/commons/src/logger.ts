/**
 * The logging port. Powertools' `Logger` satisfies it as is; tests and the local runtime use
 * `silentLogger` or `consoleLogger`. Fields are structured, never interpolated into the message.
 */
export interface Logger {
  debug(message: string, ...fields: Record<string, unknown>[]): void;
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

const noop = () => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** One JSON line per entry on stderr (stdout belongs to the program's own output). */
export function consoleLogger(minimum: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const levels = ['debug', 'info', 'warn', 'error'] as const;
  const floor = levels.indexOf(minimum);
  const write =
    (level: (typeof levels)[number]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (levels.indexOf(level) < floor) return;
      process.stderr.write(
        `${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`,
      );
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
