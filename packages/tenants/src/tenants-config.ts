import type { EnvironmentField } from '@mangaassist/commons';
import { gatewayEnvironment as names, redisUrlSchema, stageSchema } from '@mangaassist/contracts';
import * as z from 'zod/mini';

/** What the tenant-aware doors configure: the stage, the shared Redis and the tenants. */
export const tenantsConfigShape = {
  stage: stageSchema,
  /** Budgets (usage ledger) and WebSocket tickets; unset = process memory (`dev` only). */
  redisUrl: z.optional(redisUrlSchema),
  /** `{ tenants, apiKeys }` (see `TenantDirectory`); validated when a platform is built. */
  tenantsJson: z.optional(z.string()),
  /** Where WebSocket tickets go while Redis is down (`wsTicketsTable`); unset = nowhere. */
  ticketsTable: z.optional(z.string().check(z.minLength(3))),
  /** Custom DynamoDB endpoint (the embedded DynamoDB); unset = AWS. */
  dynamoDbEndpoint: z.optional(z.url()),
};

export const tenantsConfigSchema = z.strictObject(tenantsConfigShape);

export type TenantsConfig = z.output<typeof tenantsConfigSchema>;

/** Where each tenants setting is read from (names in `gatewayEnvironment`). */
export const tenantsEnvironmentFields = {
  stage: { variable: names.stage },
  redisUrl: { variable: names.redisUrl },
  tenantsJson: { variable: names.tenants },
  ticketsTable: { variable: names.ticketsTable },
  dynamoDbEndpoint: { variable: names.dynamoDbEndpoint },
} as const satisfies Record<keyof TenantsConfig, EnvironmentField>;
