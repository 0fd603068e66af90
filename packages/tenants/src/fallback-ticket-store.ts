import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { TicketStoreUnavailableError } from './store-errors.js';
import { isWellFormedTicket } from './ticket.js';
import type { TicketStore } from './ticket-store.js';

/** Marks a ticket the fallback store issued: `.` never occurs in a ticket of the primary. */
export const fallbackTicketPrefix = 'db.';

export interface FallbackTicketStoreOptions {
  /** Where tickets live (Redis). */
  readonly primary: TicketStore;
  /** Where tickets go while the primary cannot take them; made on first use. */
  readonly fallback: () => Promise<TicketStore>;
  /** Told when a ticket goes to the fallback. @default silentLogger */
  readonly logger?: Logger;
}

/**
 * A `TicketStore` that keeps working while its primary store is down: `issue` asks the primary,
 * and when it is unavailable (`TicketStoreUnavailableError`) issues from the fallback instead,
 * marking the ticket with `fallbackTicketPrefix`; `redeem` sends each ticket to the store that
 * issued it, by that mark — so a ticket is redeemed exactly once, wherever it lives, and random
 * strings never reach the fallback. The fallback is built on first use (`fallback()`), so a door
 * whose primary never fails never loads it. Throws `TicketStoreUnavailableError` only when the
 * store a ticket belongs to (for `issue`: both) cannot answer.
 */
export class FallbackTicketStore implements TicketStore {
  private readonly logger: Logger;
  private fallbackStore: Promise<TicketStore> | undefined;

  constructor(private readonly options: FallbackTicketStoreOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  async issue(tenantId: string, ttlSeconds: number): Promise<string> {
    try {
      return await this.options.primary.issue(tenantId, ttlSeconds);
    } catch (error) {
      if (!(error instanceof TicketStoreUnavailableError)) throw error;
      this.logger.warn('Ticket store unavailable; issuing from the fallback store', {
        error: errorMessage(error),
      });
      return `${fallbackTicketPrefix}${await (await this.fallback()).issue(tenantId, ttlSeconds)}`;
    }
  }

  async redeem(ticket: string): Promise<string | undefined> {
    if (!ticket.startsWith(fallbackTicketPrefix)) return this.options.primary.redeem(ticket);
    const unmarked = ticket.slice(fallbackTicketPrefix.length);
    return isWellFormedTicket(unmarked) ? (await this.fallback()).redeem(unmarked) : undefined;
  }

  private fallback(): Promise<TicketStore> {
    this.fallbackStore ??= this.options.fallback().catch((error: unknown) => {
      this.fallbackStore = undefined; // try again next time
      throw new TicketStoreUnavailableError(`No fallback ticket store: ${errorMessage(error)}`, {
        cause: error,
      });
    });
    return this.fallbackStore;
  }
}
