import { configFromEnvironment, type EnvironmentField } from '@mangaassist/commons';
import { gatewayEnvironment as names } from '@mangaassist/contracts';
import { gatewayConfigShape, gatewayEnvironmentFields } from '@mangaassist/fm-gateway';
import { tenantsConfigShape, tenantsEnvironmentFields } from '@mangaassist/tenants';
import * as z from 'zod/mini';

/**
 * What the chat doors (REST, SSE, tasks, WebSocket) configure: the gateway's settings, the
 * tenants', and the chat's own tables and WebSocket callback. Validated once at start-up.
 */
export const chatConfigSchema = z.strictObject({
  ...gatewayConfigShape,
  ...tenantsConfigShape,
  sessionsTable: z.optional(z.string().check(z.minLength(3))),
  connectionsTable: z.optional(z.string().check(z.minLength(3))),
  websocketCallbackUrl: z.optional(z.url()),
  websocketMessageQueueUrl: z.optional(z.url()),
});

export type ChatConfig = z.output<typeof chatConfigSchema>;

export const chatEnvironmentFields = {
  ...gatewayEnvironmentFields,
  ...tenantsEnvironmentFields,
  sessionsTable: { variable: names.sessionsTable },
  connectionsTable: { variable: names.connectionsTable },
  websocketCallbackUrl: { variable: names.websocketCallbackUrl },
  websocketMessageQueueUrl: { variable: names.websocketMessageQueueUrl },
} as const satisfies Record<keyof ChatConfig, EnvironmentField>;

/**
 * Reads the chat configuration from environment variables (names in `gatewayEnvironment`);
 * unset or empty variables take their defaults; anything invalid throws `ConfigurationError`
 * naming the variable.
 */
export function chatConfigFromEnvironment(env: Readonly<Record<string, string | undefined>>): ChatConfig {
  return configFromEnvironment(chatConfigSchema, env, chatEnvironmentFields, 'chat');
}
