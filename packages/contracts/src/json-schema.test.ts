import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { makeChatRequestSchema } from './chat.js';
import { inferenceCompletedDetailSchema } from './events.js';
import { type JsonSchemaDraft4, toApiGatewaySchema } from './json-schema.js';

/** Keywords of later drafts that API Gateway's draft-04 validator does not know or rejects. */
const laterDraftKeywords = [
  '$schema',
  '$defs',
  '$id',
  '$anchor',
  'const',
  'contains',
  'propertyNames',
  'examples',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'prefixItems',
  'unevaluatedProperties',
  'unevaluatedItems',
];

/** Every problem found walking the schema: a later-draft keyword or a numeric exclusive bound. */
function draft4Problems(node: unknown, path = '#'): string[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => draft4Problems(item, `${path}/${index}`));
  if (node === null || typeof node !== 'object') return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    // `properties` maps field names, which may be anything, to schemas.
    if (path.endsWith('/properties')) {
      problems.push(...draft4Problems(value, `${path}/${key}`));
      continue;
    }
    if (laterDraftKeywords.includes(key)) problems.push(`${path}/${key}`);
    if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value !== 'boolean') {
      problems.push(`${path}/${key} is not a boolean`);
    }
    problems.push(...draft4Problems(value, `${path}/${key}`));
  }
  return problems;
}

function property(schema: JsonSchemaDraft4, ...path: string[]): unknown {
  let node: unknown = schema;
  for (const key of path) {
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

describe('toApiGatewaySchema', () => {
  const chatRequest = toApiGatewaySchema(makeChatRequestSchema(['claude-3-haiku', 'quality']));

  it('describes the chat request as an object whose only required field is messages', () => {
    expect(chatRequest.type).toBe('object');
    expect(chatRequest.required).toEqual(['messages']);
    expect(chatRequest.additionalProperties).toBe(false);
  });

  it('leaves $schema to the caller', () => {
    expect(chatRequest).not.toHaveProperty('$schema');
  });

  it('carries the message count and content length limits', () => {
    expect(property(chatRequest, 'properties', 'messages', 'minItems')).toBe(1);
    expect(property(chatRequest, 'properties', 'messages', 'maxItems')).toBe(50);
    expect(
      property(chatRequest, 'properties', 'messages', 'items', 'properties', 'content', 'maxLength'),
    ).toBe(100_000);
    expect(property(chatRequest, 'properties', 'messages', 'items', 'properties', 'role', 'enum')).toEqual([
      'user',
      'assistant',
    ]);
  });

  it('bounds max_tokens to 1..4096', () => {
    expect(property(chatRequest, 'properties', 'max_tokens')).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 4096,
    });
  });

  it('lists auto and every catalog name as the allowed models', () => {
    expect(property(chatRequest, 'properties', 'model', 'enum')).toEqual([
      'auto',
      'claude-3-haiku',
      'quality',
    ]);
  });

  it('uses no keyword that a draft-04 validator rejects', () => {
    expect(draft4Problems(chatRequest)).toEqual([]);
    expect(draft4Problems(toApiGatewaySchema(inferenceCompletedDetailSchema))).toEqual([]);
  });

  it('writes a literal as an enum and an exclusive bound in the draft-04 boolean form', () => {
    const schema = toApiGatewaySchema(
      z.object({ stage: z.literal('completed'), cost: z.number().check(z.positive()) }),
    );

    expect(property(schema, 'properties', 'stage')).toEqual({ type: 'string', enum: ['completed'] });
    expect(property(schema, 'properties', 'cost')).toEqual({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
    });
    expect(draft4Problems(schema)).toEqual([]);
  });

  it('puts the title first when one is given', () => {
    const schema = toApiGatewaySchema(z.object({ a: z.string() }), 'Example');

    expect(Object.keys(schema)[0]).toBe('title');
    expect(schema.title).toBe('Example');
  });

  it('finds a later-draft keyword when one is present, so the check above can fail', () => {
    expect(draft4Problems({ properties: { const: { const: 1 } }, exclusiveMinimum: 0 })).toEqual([
      '#/properties/const/const',
      '#/exclusiveMinimum is not a boolean',
    ]);
  });
});
