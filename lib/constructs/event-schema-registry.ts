import { type RegistrySchema, registrySchemas } from '@mangaassist/contracts';
import { RemovalPolicy } from 'aws-cdk-lib';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { pascalCase } from './pascal-case.js';

export interface EventSchemaRegistryProps {
  /** Deployment stage: the registry is named `mangaassist-<stage>-events`. */
  readonly stage: string;
  /**
   * The schemas to register.
   * @default registrySchemas() - one per detail type of the bus, from the contracts' zod schemas
   */
  readonly schemas?: readonly RegistrySchema[];
  /**
   * @default RemovalPolicy.DESTROY - the schemas are generated from the contracts on every deploy
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An EventBridge Schema Registry holding the JSON Schema (draft-04) of every event the bus carries,
 * generated from the zod schemas in `@mangaassist/contracts` (`registrySchemas()`), so producers and
 * consumers outside this repository can browse them and download code bindings. One
 * `AWS::EventSchemas::Schema` per detail type, named `<source>@<detail type>` as the registry
 * names AWS's own events; changing a zod schema publishes a new schema version on the next deploy.
 *
 * No schema discoverer: the schemas come from the contracts, not from sampling live traffic.
 */
export class EventSchemaRegistry extends Construct {
  readonly registry: CfnRegistry;
  /** The registered schemas, by schema name. */
  readonly schemas: Readonly<Record<string, CfnSchema>>;

  constructor(scope: Construct, id: string, props: EventSchemaRegistryProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.registry = new CfnRegistry(this, 'Registry', {
      registryName: `mangaassist-${props.stage}-events`,
      description: `MangaAssist ${props.stage}: JSON Schemas of the AI event bus's events, generated from the contracts`,
    });
    this.registry.applyRemovalPolicy(removalPolicy);

    const schemas: Record<string, CfnSchema> = {};
    for (const spec of props.schemas ?? registrySchemas()) {
      const schema = new CfnSchema(this, pascalCase(spec.name), {
        // The registry's name attribute, not the literal, so each schema is created after it.
        registryName: this.registry.attrRegistryName,
        schemaName: spec.name,
        type: spec.type,
        description: spec.description,
        content: spec.content,
      });
      schema.applyRemovalPolicy(removalPolicy);
      schemas[spec.name] = schema;
    }
    this.schemas = schemas;
  }
}
