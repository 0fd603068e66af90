import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  eventEnvelopeSchema,
  type RegistrySchema,
  registrySchemaName,
  registrySchemas,
} from './event-schemas.js';
import { busEvents, eventSources } from './events.js';
import { toApiGatewaySchema } from './json-schema.js';
import { catalogUpdateTypes } from './webhooks.js';

type Json = Record<string, unknown>;

function parsed(entry: RegistrySchema): Json {
  return JSON.parse(entry.content) as Json;
}

function entryNamed(name: string): RegistrySchema {
  const entry = registrySchemas().find((candidate) => candidate.name === name);
  if (entry === undefined) throw new Error(`no registry schema ${name}`);
  return entry;
}

function at(node: unknown, ...path: string[]): unknown {
  let current = node;
  for (const key of path) {
    current = typeof current === 'object' && current !== null ? (current as Json)[key] : undefined;
  }
  return current;
}

/** The detail's JSON Schema, found through the envelope's `$ref`. */
function detailOf(document: Json): Json {
  const ref = at(document, 'properties', 'detail', '$ref');
  if (typeof ref !== 'string' || !ref.startsWith('#/definitions/')) throw new Error(`bad detail ref ${ref}`);
  return at(document, 'definitions', ref.slice('#/definitions/'.length)) as Json;
}

/** Keywords draft-04 does not know, anywhere in the document (property names excepted). */
function laterDraftKeywords(node: unknown, parentKey = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item) => laterDraftKeywords(item));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const inMap = parentKey === 'properties' || parentKey === 'definitions';
    const found =
      !inMap && ['$defs', '$id', 'const', 'examples', 'prefixItems', 'propertyNames'].includes(key)
        ? [key]
        : [];
    const exclusive =
      !inMap && (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value !== 'boolean'
        ? [key]
        : [];
    return [...found, ...exclusive, ...laterDraftKeywords(value, inMap ? '' : key)];
  });
}

describe('registrySchemas', () => {
  it('names one JSONSchemaDraft4 schema per event type, and one per catalog update type', () => {
    const names = registrySchemas().map((entry) => entry.name);

    expect(names).toEqual([
      'mangaassist.chat@MessageReceived',
      'mangaassist.ai@InferenceCompleted',
      'mangaassist.ai@ModerationFlagged',
      'mangaassist.ai@Recommendation.Generated',
      'mangaassist.payments@PaymentCompleted',
      'mangaassist.reviews@ReviewSubmitted',
      'mangaassist.ai@JobCompleted',
      'mangaassist.ai@JobFailed',
      ...catalogUpdateTypes.map((type) => `mangaassist.catalog@CatalogUpdate.${type}`),
    ]);
    expect(registrySchemas().every((entry) => entry.type === 'JSONSchemaDraft4')).toBe(true);
  });

  it('describes the whole EventBridge envelope with the detail under definitions', () => {
    const document = parsed(entryNamed('mangaassist.ai@ModerationFlagged'));

    expect(document.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(document.type).toBe('object');
    expect(document.required).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
    expect(at(document, 'properties', 'detail-type', 'enum')).toEqual(['ModerationFlagged']);
    expect(at(document, 'properties', 'source', 'enum')).toEqual([eventSources.ai]);
    expect(at(document, 'properties', 'replay-name', 'type')).toBe('string');
    expect(detailOf(document)).toEqual(toApiGatewaySchema(busEvents.ModerationFlagged.schema));
  });

  it('marks source and detail type with the registry extensions code bindings read', () => {
    const document = parsed(entryNamed('mangaassist.payments@PaymentCompleted'));

    expect(document['x-amazon-events-source']).toBe('mangaassist.payments');
    expect(document['x-amazon-events-detail-type']).toBe('PaymentCompleted');
  });

  it('carries each detail schema, processing stage and chain metadata included', () => {
    const flagged = detailOf(parsed(entryNamed('mangaassist.ai@ModerationFlagged')));
    const review = detailOf(parsed(entryNamed('mangaassist.reviews@ReviewSubmitted')));

    expect(at(flagged, 'properties', 'processing_stage', 'enum')).toEqual(['processed']);
    expect(flagged.required).toEqual(
      expect.arrayContaining(['chain_depth', 'source_event_id', 'content_hash']),
    );
    expect(at(flagged, 'properties', 'content_hash', 'pattern')).toBe('^[0-9a-f]{64}$');
    expect(at(review, 'properties', 'processing_stage', 'enum')).toEqual(['raw']);
  });

  it('pins update_type to the detail type of each catalog update schema', () => {
    for (const type of catalogUpdateTypes) {
      const detail = detailOf(parsed(entryNamed(`mangaassist.catalog@CatalogUpdate.${type}`)));
      expect(at(detail, 'properties', 'update_type', 'enum'), type).toEqual([type]);
    }
  });

  it('uses only draft-04 keywords', () => {
    for (const entry of registrySchemas()) {
      expect(laterDraftKeywords(parsed(entry)), entry.name).toEqual([]);
    }
  });

  it('gives every schema a description and a name the registry accepts', () => {
    for (const entry of registrySchemas()) {
      expect(entry.description.length, entry.name).toBeGreaterThan(0);
      expect(entry.name).toMatch(/^[A-Za-z0-9.@_-]{1,385}$/);
    }
  });

  it('returns the same documents on every call, so synth is stable', () => {
    expect(registrySchemas()).toEqual(registrySchemas());
  });
});

describe('eventEnvelopeSchema', () => {
  it('hoists definitions of the detail schema to the root, where its references point', () => {
    const node = z.object({ name: z.string() }).register(z.globalRegistry, { id: 'Node' });
    const detail = z.object({ first: node, second: node });

    const document = eventEnvelopeSchema('test.source', 'Test.Event', detail);
    const definitions = at(document, 'definitions') as Json;

    expect(Object.keys(definitions).sort()).toEqual(['Node', 'TestEvent']);
    expect(JSON.stringify(definitions.TestEvent)).not.toContain('"definitions"');
    const refs = JSON.stringify(document).match(/"\$ref":"#\/definitions\/[A-Za-z]+"/g) ?? [];
    expect(refs).toHaveLength(3);
    for (const ref of refs) {
      const name = ref.slice('"$ref":"#/definitions/'.length, -1);
      expect(definitions[name], name).toBeDefined();
    }
  });

  it('uses the registry name convention of source at detail type', () => {
    expect(registrySchemaName('mangaassist.ai', 'ModerationFlagged')).toBe(
      'mangaassist.ai@ModerationFlagged',
    );
  });
});
