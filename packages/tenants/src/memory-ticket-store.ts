import { assertTicketTtl, isWellFormedTicket, newTicket } from './ticket.js';
import type { TicketStore } from './ticket-store.js';

export interface MemoryTicketStoreOptions {
  /** Wall-clock time in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * A `TicketStore` in this process's memory, with the semantics of `RedisTicketStore`: random
 * 32-byte base64url tickets, each redeemable once until it expires. For tests and a
 * single-process `pnpm dev`; deployed, `$connect` may run on another instance than the one
 * that issued the ticket, so use Redis there. Throws `RangeError` for a TTL that is not a whole
 * number of seconds >= 1; never fails otherwise.
 */
export class MemoryTicketStore implements TicketStore {
  private readonly tickets = new Map<string, { readonly tenantId: string; readonly expiresAt: number }>();
  private readonly now: () => number;

  constructor(options: MemoryTicketStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async issue(tenantId: string, ttlSeconds: number): Promise<string> {
    assertTicketTtl(ttlSeconds);
    this.pruneExpired();
    let ticket = newTicket();
    while (this.tickets.has(ticket)) ticket = newTicket();
    this.tickets.set(ticket, { tenantId, expiresAt: this.now() + ttlSeconds * 1_000 });
    return ticket;
  }

  async redeem(ticket: string): Promise<string | undefined> {
    if (!isWellFormedTicket(ticket)) return undefined;
    const entry = this.tickets.get(ticket);
    if (entry === undefined) return undefined;
    this.tickets.delete(ticket);
    return entry.expiresAt > this.now() ? entry.tenantId : undefined;
  }

  /** Unredeemed tickets would otherwise pile up: they go when the next one is issued. */
  private pruneExpired(): void {
    const at = this.now();
    for (const [ticket, entry] of this.tickets) {
      if (entry.expiresAt <= at) this.tickets.delete(ticket);
    }
  }
}
