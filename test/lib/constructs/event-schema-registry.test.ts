import { type RegistrySchema, registrySchemas } from '@mangaassist/contracts';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  EventSchemaRegistry,
  type EventSchemaRegistryProps,
} from '../../../lib/constructs/event-schema-registry.js';
import { logicalId, resourcesOf, unitTestApp } from '../support.js';

interface SchemaProperties {
  readonly RegistryName: unknown;
  readonly SchemaName: string;
  readonly Type: string;
  readonly Description: string;
  readonly Content: string;
}

function build(props: Partial<EventSchemaRegistryProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new EventSchemaRegistry(stack, 'Schemas', { stage: 'dev', ...props });
  return Template.fromStack(stack);
}

function schema(name: string): RegistrySchema {
  return {
    name,
    type: 'JSONSchemaDraft4',
    description: `The ${name} event.`,
    content: JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }),
  };
}

const template = build();
const registry = logicalId(template, 'AWS::EventSchemas::Registry', 'SchemasRegistry');

describe('EventSchemaRegistry', () => {
  it('creates one registry named after the stage', () => {
    template.resourceCountIs('AWS::EventSchemas::Registry', 1);
    template.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'mangaassist-dev-events' });
  });

  it('registers every contract schema unchanged: name, draft-04 type, description and content', () => {
    const deployed = resourcesOf<SchemaProperties>(template, 'AWS::EventSchemas::Schema').map(
      (entry) => entry.properties,
    );
    const expected = registrySchemas();
    expect(deployed).toHaveLength(expected.length);
    for (const spec of expected) {
      expect(deployed).toContainEqual({
        RegistryName: { 'Fn::GetAtt': [registry, 'RegistryName'] },
        SchemaName: spec.name,
        Type: 'JSONSchemaDraft4',
        Description: spec.description,
        Content: spec.content,
      });
    }
  });

  it('covers every detail type of the public contract, catalog updates one by one', () => {
    const names = resourcesOf<SchemaProperties>(template, 'AWS::EventSchemas::Schema').map(
      (entry) => entry.properties.SchemaName,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'mangaassist.chat@MessageReceived',
        'mangaassist.ai@InferenceCompleted',
        'mangaassist.ai@ModerationFlagged',
        'mangaassist.ai@Recommendation.Generated',
        'mangaassist.payments@PaymentCompleted',
        'mangaassist.reviews@ReviewSubmitted',
      ]),
    );
    expect(
      names.filter((name) => name.startsWith('mangaassist.catalog@CatalogUpdate.')).length,
    ).toBeGreaterThan(1);
  });

  it('registers exactly the schemas it is given', () => {
    const custom = build({ schemas: [schema('test.source@One'), schema('test.source@Two')] });
    custom.resourceCountIs('AWS::EventSchemas::Schema', 2);
    custom.hasResourceProperties('AWS::EventSchemas::Schema', { SchemaName: 'test.source@Two' });
  });

  it('is deleted with its stack unless told to retain, schemas included', () => {
    template.allResources('AWS::EventSchemas::Schema', { DeletionPolicy: 'Delete' });
    const retained = build({ removalPolicy: RemovalPolicy.RETAIN });
    retained.allResources('AWS::EventSchemas::Registry', { DeletionPolicy: 'Retain' });
    retained.allResources('AWS::EventSchemas::Schema', { DeletionPolicy: 'Retain' });
  });
});
