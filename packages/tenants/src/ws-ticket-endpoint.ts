import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { errorResponse, type HttpEndpoint, jsonResponse } from '@mangaassist/http';
import { TicketStoreUnavailableError } from './store-errors.js';
import { assertTicketTtl } from './ticket.js';
import type { TicketStore } from './ticket-store.js';

export interface WsTicketEndpointOptions {
  readonly tickets: TicketStore;
  /** How long a ticket may wait to be redeemed by `$connect`. @default 60 */
  readonly ttlSeconds?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * `POST /v1/ws-tickets`: a browser cannot set `x-api-key` on a WebSocket, so it first asks this
 * endpoint (with its key, which API Gateway has checked: the ticket is for `request.tenantId`)
 * and then connects with `?ticket=…`; `$connect` redeems the ticket once.
 *
 * Answers 201 `{ "ticket", "expires_in" }` with `Cache-Control: no-store` (a ticket is a
 * credential). The body is ignored. When the store cannot issue (Redis unreachable or slow),
 * 503 `tickets_unavailable` with `Retry-After: 1` (the store logs the outage; any other
 * error is logged here and answered the same way).
 * Throws `RangeError` at construction for a TTL that is not a whole number of seconds >= 1.
 */
export function makeWsTicketEndpoint(options: WsTicketEndpointOptions): HttpEndpoint {
  const ttlSeconds = options.ttlSeconds ?? 60;
  assertTicketTtl(ttlSeconds);
  const logger = options.logger ?? silentLogger;

  return async (request) => {
    const { requestId, tenantId } = request;
    let ticket: string;
    try {
      ticket = await options.tickets.issue(tenantId, ttlSeconds);
    } catch (error) {
      // The store logs its own outages (rate-limited); anything else is a bug worth seeing.
      if (!(error instanceof TicketStoreUnavailableError)) {
        logger.error('ticket store failed unexpectedly', { requestId, error: errorMessage(error) });
      }
      return errorResponse(
        503,
        requestId,
        'tickets_unavailable',
        'WebSocket tickets cannot be issued right now; retry shortly.',
        { headers: { 'retry-after': '1' } },
      );
    }
    return jsonResponse(201, requestId, { ticket, expires_in: ttlSeconds }, { 'cache-control': 'no-store' });
  };
}
