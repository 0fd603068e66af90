/**
 * WebSocket tickets on DynamoDB (`wsTicketsTable`): where tickets live while Redis is down, so
 * that browsers can still open a WebSocket. Slower than Redis, but any instance can redeem them.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { errorMessage, expiresAtSeconds, hasExpired } from '@mangaassist/commons';
import * as z from 'zod/mini';
import { TicketStoreUnavailableError } from '../store-errors.js';
import { assertTicketTtl, isWellFormedTicket, newTicket } from '../ticket.js';
import type { TicketStore } from '../ticket-store.js';

const ticketItemSchema = z.object({ tenant_id: z.string(), expires_at: z.number() });

export interface DynamoDbTicketStoreOptions {
  /** The table built from `wsTicketsTable` (`tableName(stage, wsTicketsTable)`). */
  readonly tableName: string;
  /** Epoch milliseconds, for `expires_at` and for refusing an expired ticket. @default Date.now */
  readonly now?: () => number;
}

/**
 * A `TicketStore` on DynamoDB with the semantics of `RedisTicketStore`. `issue` puts
 * `{ ticket_hash, tenant_id, expires_at }` (conditioned on a new hash); `redeem` deletes the item
 * and reads what it held in the same call (`ReturnValues: ALL_OLD`), so of any number of
 * concurrent redeemers exactly one gets the tenant — and only before `expires_at`, since
 * DynamoDB's TTL deletes expired items only eventually. The table holds SHA-256 hashes, never a
 * ticket. Both methods throw `TicketStoreUnavailableError` when DynamoDB fails (after the SDK's
 * retries); `issue` throws `RangeError` for a TTL that is not a whole number of seconds >= 1.
 */
export class DynamoDbTicketStore implements TicketStore {
  private readonly tableName: string;
  private readonly now: () => number;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    options: DynamoDbTicketStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  async issue(tenantId: string, ttlSeconds: number): Promise<string> {
    assertTicketTtl(ttlSeconds);
    const ticket = newTicket();
    await this.send('issue', () =>
      this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ticket_hash: ticketHash(ticket),
            tenant_id: tenantId,
            expires_at: expiresAtSeconds(this.now(), ttlSeconds),
          },
          ConditionExpression: 'attribute_not_exists(ticket_hash)',
        }),
      ),
    );
    return ticket;
  }

  async redeem(ticket: string): Promise<string | undefined> {
    if (!isWellFormedTicket(ticket)) return undefined;
    const { Attributes: item } = await this.send('redeem', () =>
      this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { ticket_hash: ticketHash(ticket) },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const parsed = ticketItemSchema.safeParse(item);
    if (!parsed.success || hasExpired(parsed.data.expires_at, this.now())) return undefined;
    return parsed.data.tenant_id;
  }

  private async send<T>(operation: 'issue' | 'redeem', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new TicketStoreUnavailableError(`Ticket ${operation} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/** The table key of a ticket: its SHA-256, base64url. */
export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}
