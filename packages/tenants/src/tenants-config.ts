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
};

export const tenantsConfigSchema = z.strictObject(tenantsConfigShape);

export type TenantsConfig = z.output<typeof tenantsConfigSchema>;

/** Where each tenants setting is read from (names in `gatewayEnvironment`). */
export const tenantsEnvironmentFields = {
  stage: { variable: names.stage },
  redisUrl: { variable: names.redisUrl },
  tenantsJson: { variable: names.tenants },
} as const satisfies Record<keyof TenantsConfig, EnvironmentField>;
