import * as z from 'zod/mini';
import { type BusEventDefinition, busEvents } from './events.js';
import { type JsonSchemaDraft4, toApiGatewaySchema } from './json-schema.js';
import { catalogUpdateDetailSchema, catalogUpdateTypes } from './webhooks.js';

/** One `AWS::EventSchemas::Schema` resource: the CDK passes these fields through unchanged. */
export interface RegistrySchema {
  /** `<source>@<detail type>`, the registry's own naming (`aws.ec2@EC2InstanceStateChangeNotification`). */
  readonly name: string;
  readonly type: 'JSONSchemaDraft4';
  readonly description: string;
  /** The JSON Schema document, serialised. */
  readonly content: string;
}

const draft4 = 'http://json-schema.org/draft-04/schema#';

/** The schema registry's name for an event type. */
export function registrySchemaName(source: string, detailType: string): string {
  return `${source}@${detailType}`;
}

/**
 * The JSON Schema (draft-04) of the whole event as EventBridge delivers it: the envelope
 * (`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`, and the
 * optional `replay-name` of a replayed event) with `detail` described by `detailSchema`, under
 * `definitions`. Carries `x-amazon-events-source` / `x-amazon-events-detail-type`, as the
 * registry's own exported schemas do, so code-binding tools find the event.
 *
 * The detail is described on the input side (what `schema.parse` accepts: fields with defaults
 * are optional, unknown keys allowed unless the zod object is strict), so a JSON Schema
 * validator and the zod schema accept the same details.
 */
export function eventEnvelopeSchema(
  source: string,
  detailType: string,
  detailSchema: z.ZodMiniType,
  description?: string,
): JsonSchemaDraft4 {
  const definitionName = detailType.replace(/[^A-Za-z0-9]/g, '');
  const { definitions: nested, ...detail } = toApiGatewaySchema(detailSchema);
  const definitions = {
    ...(isObject(nested) ? nested : {}),
    [definitionName]: detail,
  };
  return {
    $schema: draft4,
    title: definitionName,
    ...(description === undefined ? {} : { description }),
    type: 'object',
    'x-amazon-events-source': source,
    'x-amazon-events-detail-type': detailType,
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
    properties: {
      version: { type: 'string' },
      id: { type: 'string' },
      'detail-type': { type: 'string', enum: [detailType] },
      source: { type: 'string', enum: [source] },
      account: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: { type: 'array', items: { type: 'string' } },
      'replay-name': { type: 'string' },
      detail: { $ref: `#/definitions/${definitionName}` },
    },
    definitions,
  };
}

/**
 * The EventBridge Schema Registry entries for every event of the bus (`busEvents`), one per
 * detail type: `CatalogUpdate.*` gives one per update type, whose `update_type` is pinned to it.
 * Deterministic (same order and content on every call), so `cdk synth` is stable.
 */
export function registrySchemas(): RegistrySchema[] {
  return Object.values(busEvents).flatMap((definition: BusEventDefinition) =>
    definition.detailTypes.map((detailType) => {
      const schema = detailSchemaFor(definition, detailType);
      const description = `${definition.description} Detail processing_stage: ${definition.stage}.`;
      return {
        name: registrySchemaName(definition.source, detailType),
        type: 'JSONSchemaDraft4' as const,
        description,
        content: JSON.stringify(eventEnvelopeSchema(definition.source, detailType, schema, description)),
      };
    }),
  );
}

/** The detail schema of one concrete detail type: a catalog update type pins `update_type`. */
function detailSchemaFor(definition: BusEventDefinition, detailType: string): z.ZodMiniType {
  const prefix = definition.detailTypePrefix;
  if (prefix === undefined || definition.schema !== catalogUpdateDetailSchema) return definition.schema;
  const updateType = catalogUpdateTypes.find((type) => `${prefix}${type}` === detailType);
  return updateType === undefined
    ? definition.schema
    : z.extend(catalogUpdateDetailSchema, { update_type: z.literal(updateType) });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
