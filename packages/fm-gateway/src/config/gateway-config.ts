import { configFromEnvironment, type EnvironmentField } from '@mangaassist/commons';
import { gatewayEnvironment as names, redisUrlSchema, stageSchema } from '@mangaassist/contracts';
import * as z from 'zod/mini';
import { geographies } from '../catalog/geography.js';
import { defaultRegionTargets, regionTargetsSchema } from '../catalog/invocation-targets.js';
import { experimentSchema } from '../routing/experiments.js';

/**
 * What a deployment (or `pnpm dev`) configures about the FM gateway, validated once at start-up.
 * Doors that need more (the chat's tables and tenants) extend it; a door that builds only the
 * gateway (a webhook, an event consumer) needs nothing else.
 */
export const gatewayConfigShape = {
  stage: stageSchema,
  regionTargets: z._default(regionTargetsSchema, [...defaultRegionTargets]),
  allowedGeographies: z.optional(z.array(z.enum(geographies)).check(z.minLength(1))),
  modelCatalogJson: z.optional(z.string()),
  /** Validated against the catalog when the router is built. */
  routingExperiments: z._default(z.array(experimentSchema), []),
  bedrockEndpoint: z.optional(z.url()),
  redisUrl: z.optional(redisUrlSchema),
  responseCacheTtlSeconds: z._default(z.coerce.number().check(z.int(), z.positive()), 300),
  eventBusName: z.optional(z.string().check(z.minLength(1))),
  eventBridgeEndpoint: z.optional(z.url()),
  chatDeadlineMs: z._default(z.coerce.number().check(z.int(), z.minimum(100), z.maximum(29_000)), 3000),
  /** A Bedrock guardrail's id or ARN: applied to every call's new user message. Unset = none. */
  guardrailId: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^([a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+)$/,
          'a guardrail id or ARN',
        ),
      ),
  ),
  /** The guardrail's version: `DRAFT` or a number. */
  guardrailVersion: z._default(
    z.string().check(z.regex(/^(DRAFT|[1-9][0-9]{0,7})$/, 'DRAFT or a version number')),
    'DRAFT',
  ),
};

export const gatewayConfigSchema = z.strictObject(gatewayConfigShape);

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Where each gateway setting is read from (names in `gatewayEnvironment`). */
export const gatewayEnvironmentFields = {
  stage: { variable: names.stage },
  regionTargets: { variable: names.regionTargets, format: 'json' },
  allowedGeographies: { variable: names.allowedGeographies, format: 'list' },
  modelCatalogJson: { variable: names.modelCatalog },
  routingExperiments: { variable: names.routingExperiments, format: 'json' },
  bedrockEndpoint: { variable: names.bedrockEndpoint },
  redisUrl: { variable: names.redisUrl },
  responseCacheTtlSeconds: { variable: names.responseCacheTtlSeconds },
  eventBusName: { variable: names.eventBusName },
  eventBridgeEndpoint: { variable: names.eventBridgeEndpoint },
  chatDeadlineMs: { variable: names.chatDeadlineMs },
  guardrailId: { variable: names.guardrailId },
  guardrailVersion: { variable: names.guardrailVersion },
} as const satisfies Record<keyof GatewayConfig, EnvironmentField>;

/**
 * Reads the gateway configuration from environment variables (names in `gatewayEnvironment`).
 * Unset or empty variables take their defaults; anything invalid throws `ConfigurationError`
 * naming the variable, so a bad deployment fails at cold start.
 */
export function gatewayConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): GatewayConfig {
  return configFromEnvironment(gatewayConfigSchema, env, gatewayEnvironmentFields, 'gateway');
}
