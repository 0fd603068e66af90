/**
 * The ticket-store port: short-lived, single-use tickets that let a browser open a WebSocket
 * (which cannot carry an `x-api-key` header): the page asks `POST /v1/ws-tickets` with its key,
 * then connects with `?ticket=…`; `$connect` redeems the ticket once.
 */
export interface TicketStore {
  /** Issues a ticket for the tenant, valid for `ttlSeconds`. */
  issue(tenantId: string, ttlSeconds: number): Promise<string>;
  /** The ticket's tenant, once; undefined if unknown, expired or already used. */
  redeem(ticket: string): Promise<string | undefined>;
}
