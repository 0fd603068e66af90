import {
  type AwsClientSettings,
  configFromEnvironment,
  type Logger,
  requireOutsideDev,
  silentLogger,
} from '@mangaassist/commons';
import { createRedisClient, type RedisConnection } from '@mangaassist/commons/redis';
import { type TenantResolver, tenantByKeyId } from '@mangaassist/http/api-gateway';
import { TenantDirectory } from '../tenant-directory.js';
import { type TenantsConfig, tenantsConfigSchema, tenantsEnvironmentFields } from '../tenants-config.js';
import type { TicketStore } from '../ticket-store.js';
import { ticketStoreFor } from './ticket-stores.js';

/** Reads the tenants configuration (`MANGA_ENV`, `REDIS_URL`, `TENANTS_JSON`); throws `ConfigurationError`. */
export function tenantsConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): TenantsConfig {
  return configFromEnvironment(tenantsConfigSchema, env, tenantsEnvironmentFields, 'tenants');
}

/**
 * API key id (from API Gateway) → tenant id: the tenant the directory maps the key to, else the
 * key id itself (`tenantByKeyId`), so usage is never attributed to nobody.
 */
export function tenantResolver(tenants: TenantDirectory | undefined): TenantResolver {
  return (apiKeyId) =>
    (apiKeyId !== undefined ? tenants?.tenantForApiKeyId(apiKeyId)?.id : undefined) ??
    tenantByKeyId(apiKeyId);
}

/** The tenants of `config.tenantsJson`, or `undefined` (no budgets) when it is unset. */
export function tenantDirectoryOf(config: Pick<TenantsConfig, 'tenantsJson'>): TenantDirectory | undefined {
  return config.tenantsJson === undefined ? undefined : TenantDirectory.fromJson(config.tenantsJson);
}

export interface TicketPlatformOptions extends AwsClientSettings {
  /** @default silentLogger */
  readonly logger?: Logger;
  /** The tenants; unset = `config.tenantsJson`. */
  readonly tenants?: TenantDirectory;
  /** A Redis client to use (and not close); unset = one from `config.redisUrl`. */
  readonly redis?: RedisConnection;
}

/** What `POST /v1/ws-tickets` is built from. */
export interface TicketPlatform {
  readonly tickets: TicketStore;
  readonly resolveTenant: TenantResolver;
  readonly logger: Logger;
  /** Closes the Redis connection it opened (servers and tests; Lambda never calls it). */
  close(): Promise<void>;
}

/**
 * The composition root of the ticket door (`POST /v1/ws-tickets`): the ticket store on Redis,
 * falling back to `ticketsTable` while Redis is down (process memory in `dev` without
 * `REDIS_URL`; see `ticketStoreFor`), and the tenant resolver. Nothing else: no model. Outside
 * `dev` it requires `redisUrl` and `tenantsJson` (`ConfigurationError`).
 */
export function createTicketPlatform(
  config: TenantsConfig,
  options: TicketPlatformOptions = {},
): TicketPlatform {
  requireOutsideDev(config, ['redisUrl', 'tenantsJson'], 'the ticket door');
  const logger = options.logger ?? silentLogger;
  const redis =
    options.redis ?? (config.redisUrl ? createRedisClient(config.redisUrl, { logger }) : undefined);
  const ownsRedis = options.redis === undefined && redis !== undefined;
  const store = ticketStoreFor(config, redis, { ...options, logger });
  return {
    tickets: store.tickets,
    resolveTenant: tenantResolver(options.tenants ?? tenantDirectoryOf(config)),
    logger,
    async close() {
      store.close();
      if (redis && ownsRedis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
