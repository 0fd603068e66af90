/**
 * Trigger: API Gateway WebSocket `$connect` and `$disconnect` routes (Lambda proxy integration).
 * `$connect` redeems the single-use `?ticket=` from `POST /v1/ws-tickets` and records the
 * connection with its tenant (DynamoDB, TTL); `$disconnect` deletes the record.
 * Failure semantics: no or a spent ticket refuses the upgrade (401/403), a store outage too
 * (500); a failed delete is logged and left to the TTL. Idempotency: a record put overwrites and
 * a delete of a missing record succeeds; a ticket opens one connection only, so a retried
 * `$connect` needs a new ticket.
 */

import type { WebSocketConnections } from '@mangaassist/chat';
import { makeWebSocketConnectionHandler } from '@mangaassist/chat/api-gateway';
import type { Logger } from '@mangaassist/commons';

export interface WsConnectionDependencies {
  /** Redeems `$connect` tickets and keeps the connection records (`createConnectionPlatform`). */
  readonly connections: Pick<WebSocketConnections, 'connect' | 'disconnect'>;
  readonly logger: Logger;
}

/**
 * The `$connect`/`$disconnect` Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 */
export function makeWsConnectionHandler({ connections, logger }: WsConnectionDependencies) {
  return makeWebSocketConnectionHandler(connections, { logger });
}
