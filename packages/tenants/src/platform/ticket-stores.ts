import type { AwsClientSettings, Logger } from '@mangaassist/commons';
import { awsClientOptions } from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import type { RedisConnection } from '@mangaassist/commons/redis';
import { DynamoDbTicketStore } from '../dynamodb/dynamodb-ticket-store.js';
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
 * client is made on the first fallback only, so a door whose Redis never fails opens no
 * connection to DynamoDB.
 */
export function ticketStoreFor(
  config: Pick<TenantsConfig, 'ticketsTable' | 'dynamoDbEndpoint'>,
  redis: RedisConnection | undefined,
  settings: AwsClientSettings & { readonly logger: Logger },
): TicketStoreHandle {
  const { logger } = settings;
  if (!redis) return { tickets: new MemoryTicketStore(), close: () => {} };
  const primary = new RedisTicketStore(redis, { logger });
  const { ticketsTable } = config;
  if (ticketsTable === undefined) return { tickets: primary, close: () => {} };
  let destroy = () => {};
  const fallback = async () => {
    const documents = createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, settings));
    destroy = () => documents.destroy();
    return new DynamoDbTicketStore(documents, { tableName: ticketsTable });
  };
  return { tickets: new FallbackTicketStore({ primary, fallback, logger }), close: () => destroy() };
}
