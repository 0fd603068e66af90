import type { Logger } from './logger.js';

/**
 * Logs a warning at most once per interval, with the number of occurrences it stands for,
 * so an outage produces a steady trickle of log lines instead of one per request.
 * (The same policy as the response cache's warnings.)
 */
export class RateLimitedWarning {
  private sinceLastLog = 0;
  private inEpisode = 0;
  private lastLoggedAt: number | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly intervalMs: number,
  ) {}

  warn(message: string, fields: Record<string, unknown>): void {
    this.sinceLastLog++;
    this.inEpisode++;
    const at = this.now();
    if (this.lastLoggedAt !== undefined && at - this.lastLoggedAt < this.intervalMs) return;
    this.logger.warn(message, { ...fields, occurrences: this.sinceLastLog });
    this.lastLoggedAt = at;
    this.sinceLastLog = 0;
  }

  /** Ends an episode so that the next warning logs at once; returns how many it counted. */
  recover(): number {
    const total = this.inEpisode;
    this.sinceLastLog = 0;
    this.inEpisode = 0;
    this.lastLoggedAt = undefined;
    return total;
  }
}

/** The message of an error, or its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
