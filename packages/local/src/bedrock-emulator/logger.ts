/** Where the emulator reports what it did; `console` and Powertools' Logger both fit. */
export interface EmulatorLogger {
  debug(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

export const silentLogger: EmulatorLogger = {
  debug: () => {},
  warn: () => {},
};
