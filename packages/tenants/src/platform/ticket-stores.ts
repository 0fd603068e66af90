import type { AwsClientSettings, Logger } from '@mangaassist/commons';
import { awsClientOptions } from '@mangaassist/commons';
import type { Redis } from 'ioredis';
import { FallbackTicketStore } from '../fallback-ticket-store.js';
import { MemoryTicketStore } from '../memory-ticket-store.js';
import { RedisTicketStore } from '../redis/redis-ticket-store.js';
import type { TenantsConfig } from '../tenants-config.js';
import type { TicketStore } from '../ticket-store.js';

/** A ticket store and what closing it takes. */
export interface TicketStoreHandle {
  readonly tickets: TicketStore;
  /** Destroys the DynamoDB client of the fallback, if one was made. */
  close(): void;
}

/**
 * The ticket store the ticket door and `$connect` share: Redis, and — with `config.ticketsTable`
 * — the tickets table while Redis is down (`FallbackTicketStore`), so WebSocket chat keeps
 * working through a Redis outage. Without Redis (`dev` only): process memory. The DynamoDB
 * client and its module are loaded on the first fallback only, so a door whose Redis never fails
 * pays nothing for them.
 */
export function ticketStoreFor(
  config: Pick<TenantsConfig, 'ticketsTable' | 'dynamoDbEndpoint'>,
  redis: Redis | undefined,
  settings: AwsClientSettings & { readonly logger: Logger },
): TicketStoreHandle {
  const { logger } = settings;
  if (!redis) return { tickets: new MemoryTicketStore(), close: () => {} };
  const primary = new RedisTicketStore(redis, { logger });
  const { ticketsTable } = config;
  if (ticketsTable === undefined) return { tickets: primary, close: () => {} };
  let destroy = () => {};
  const fallback = async () => {
    const { openDynamoDbTicketStore } = await import('../dynamodb/open-dynamodb-ticket-store.js');
    const opened = openDynamoDbTicketStore(ticketsTable, awsClientOptions(config.dynamoDbEndpoint, settings));
    destroy = opened.close;
    return opened.tickets;
  };
  return { tickets: new FallbackTicketStore({ primary, fallback, logger }), close: () => destroy() };
}
