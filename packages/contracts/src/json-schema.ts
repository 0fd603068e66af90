import * as z from 'zod/mini';

export type JsonSchemaDraft4 = Record<string, unknown>;

/**
 * Turns a zod schema into JSON Schema draft-04, the dialect API Gateway request models speak.
 * Describes the input side (fields with defaults are optional) and drops `$schema`, which the
 * caller sets (CDK's `JsonSchemaVersion.DRAFT4`).
 */
export function toApiGatewaySchema(schema: z.ZodMiniType, title?: string): JsonSchemaDraft4 {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-04',
    io: 'input',
  }) as Record<string, unknown>;
  return title ? { title, ...rest } : rest;
}
