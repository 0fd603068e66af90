import type { Logger } from '@mangaassist/commons';
import { makeApiGatewayHandler, type TenantResolver } from '@mangaassist/http/api-gateway';
import { makeWsTicketEndpoint, type TicketStore } from '@mangaassist/tenants';

export interface WsTicketDependencies {
  readonly tickets: TicketStore;
  readonly resolveTenant: TenantResolver;
  /** How long a ticket may wait to be redeemed. @default 60 */
  readonly ttlSeconds?: number;
  readonly logger: Logger;
}

/**
 * The `POST /v1/ws-tickets` Lambda handler over its dependencies: the deployed entry point
 * (`handler.ts`) builds them from the environment, `pnpm dev` from the local runtime.
 */
export function makeWsTicketHandler({ tickets, resolveTenant, ttlSeconds, logger }: WsTicketDependencies) {
  return makeApiGatewayHandler(
    makeWsTicketEndpoint({ tickets, logger, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }),
    { resolveTenant },
  );
}
