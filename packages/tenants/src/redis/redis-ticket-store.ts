/**
 * WebSocket tickets on Redis: issued by `POST /v1/ws-tickets` on one instance, redeemed by
 * `$connect` on any other, each exactly once.
 */

import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { RedisCommandRunner, type RedisConnection } from '@mangaassist/commons/redis';
import { TicketStoreUnavailableError } from '../store-errors.js';
import { assertTicketTtl, isWellFormedTicket, newTicket } from '../ticket.js';
import type { TicketStore } from '../ticket-store.js';

export interface RedisTicketStoreOptions {
  /**
   * Longest wait for one Redis command, including the wait for a connection that is still
   * being made (`whenRedisReady`), so a new instance's first ticket waits for its connection.
   * Longer than the response cache's: a ticket is not on the model's latency path, and without
   * it the connection fails.
   * @default 250
   */
  readonly commandTimeoutMs?: number;
  /** Receives outage warnings (at most one per `warnIntervalMs`) and recoveries. @default silentLogger */
  readonly logger?: Logger;
  /** For spacing out warnings. @default Date.now */
  readonly now?: () => number;
  /** @default 60_000 */
  readonly warnIntervalMs?: number;
}

/** Tries before `issue` gives up on random collisions (which 256 bits make a formality). */
const maxIssueAttempts = 3;

/**
 * A `TicketStore` on an injected Redis client (Redis >= 6.2 for GETDEL). `issue` writes
 * `SET ticket:<t> <tenant> EX <ttl> NX`; `redeem` is `GETDEL`, so of any number of concurrent
 * redeemers exactly one gets the tenant. Tickets are 32 random bytes, base64url; a string of
 * any other shape is refused without asking Redis.
 *
 * Failure semantics: both methods throw `TicketStoreUnavailableError` when Redis does not
 * answer within `commandTimeoutMs` or answers with an error (a ticket is never reported as
 * "unknown" because Redis was down). `issue` throws `RangeError` for a TTL that is not a whole
 * number of seconds >= 1.
 */
export class RedisTicketStore implements TicketStore {
  private readonly commands: RedisCommandRunner;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisTicketStoreOptions = {},
  ) {
    this.commands = new RedisCommandRunner({
      redis,
      commandTimeoutMs: options.commandTimeoutMs ?? 250,
      logger: options.logger ?? silentLogger,
      now: options.now ?? Date.now,
      warnIntervalMs: options.warnIntervalMs ?? 60_000,
      outageMessage: 'Ticket store (Redis) unavailable',
      recoveredMessage: 'Ticket store is reachable again',
    });
  }

  async issue(tenantId: string, ttlSeconds: number): Promise<string> {
    assertTicketTtl(ttlSeconds);
    for (let attempt = 1; attempt <= maxIssueAttempts; attempt++) {
      const ticket = newTicket();
      const stored = await this.run('issue', () =>
        this.redis.set(ticketKey(ticket), tenantId, 'EX', ttlSeconds, 'NX'),
      );
      if (stored === 'OK') return ticket;
    }
    throw new TicketStoreUnavailableError(`No free ticket after ${maxIssueAttempts} attempts`);
  }

  async redeem(ticket: string): Promise<string | undefined> {
    if (!isWellFormedTicket(ticket)) return undefined;
    const tenantId = await this.run('redeem', () => this.redis.getdel(ticketKey(ticket)));
    return tenantId ?? undefined;
  }

  private async run<T>(operation: 'issue' | 'redeem', command: () => Promise<T>): Promise<T> {
    try {
      return await this.commands.run(operation, command);
    } catch (error) {
      throw new TicketStoreUnavailableError(`Ticket ${operation} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/** The Redis key of one ticket. */
export function ticketKey(ticket: string): string {
  return `ticket:${ticket}`;
}
