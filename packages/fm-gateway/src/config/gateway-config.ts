import { gatewayEnvironment } from '@mangaassist/contracts';
import * as z from 'zod';
import { geographies } from '../catalog/geography.js';
import { defaultRegionTargets, regionTargetsSchema } from '../catalog/invocation-targets.js';
import { experimentSchema } from '../routing/experiments.js';

/**
 * Everything a deployment (or `pnpm dev`) configures about the gateway and the chat platform,
 * validated once at start-up. `createPlatform` additionally requires Redis, the sessions table and
 * the tenants outside `dev`; a door that builds only the gateway needs none of them.
 */
export const gatewayConfigSchema = z
  .object({
    stage: z.enum(['dev', 'staging', 'prod']).default('dev'),
    regionTargets: regionTargetsSchema.default([...defaultRegionTargets]),
    allowedGeographies: z.array(z.enum(geographies)).min(1).optional(),
    modelCatalogJson: z.string().optional(),
    /** Validated against the catalog when the router is built. */
    routingExperiments: z.array(experimentSchema).default([]),
    bedrockEndpoint: z.url().optional(),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .optional(),
    responseCacheTtlSeconds: z.coerce.number().int().positive().default(300),
    eventBusName: z.string().min(1).optional(),
    eventBridgeEndpoint: z.url().optional(),
    chatDeadlineMs: z.coerce.number().int().min(100).max(29_000).default(3000),
    sessionsTable: z.string().min(3).optional(),
    connectionsTable: z.string().min(3).optional(),
    dynamoDbEndpoint: z.url().optional(),
    /** `{ tenants, apiKeys }` (see `TenantDirectory`); validated when the platform is built. */
    tenantsJson: z.string().optional(),
    websocketCallbackUrl: z.url().optional(),
  })
  .strict();

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

function parseJson(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ConfigurationError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads the gateway configuration from environment variables (names in
 * `gatewayEnvironment`). Unset or empty variables take their defaults; anything invalid throws
 * `ConfigurationError` naming the variable, so a bad deployment fails at cold start.
 */
export function gatewayConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): GatewayConfig {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const names = gatewayEnvironment;
  const targets = read(names.regionTargets);
  const allowed = read(names.allowedGeographies);
  const experiments = read(names.routingExperiments);
  const raw = {
    stage: read(names.stage),
    regionTargets: targets === undefined ? undefined : parseJson(names.regionTargets, targets),
    allowedGeographies: allowed?.split(',').map((geography) => geography.trim()),
    modelCatalogJson: read(names.modelCatalog),
    routingExperiments:
      experiments === undefined ? undefined : parseJson(names.routingExperiments, experiments),
    bedrockEndpoint: read(names.bedrockEndpoint),
    redisUrl: read(names.redisUrl),
    responseCacheTtlSeconds: read(names.responseCacheTtlSeconds),
    eventBusName: read(names.eventBusName),
    eventBridgeEndpoint: read(names.eventBridgeEndpoint),
    chatDeadlineMs: read(names.chatDeadlineMs),
    sessionsTable: read(names.sessionsTable),
    connectionsTable: read(names.connectionsTable),
    dynamoDbEndpoint: read(names.dynamoDbEndpoint),
    tenantsJson: read(names.tenants),
    websocketCallbackUrl: read(names.websocketCallbackUrl),
  };
  const parsed = gatewayConfigSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)),
  );
  if (!parsed.success) {
    const variable: Record<string, string> = {
      ...names,
      tenantsJson: names.tenants,
      modelCatalogJson: names.modelCatalog,
    };
    const problems = parsed.error.issues.map((issue) => {
      const [field] = issue.path;
      return `${variable[String(field)] ?? String(field)}: ${issue.message}`;
    });
    throw new ConfigurationError(`invalid gateway configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
