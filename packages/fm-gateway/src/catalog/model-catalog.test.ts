import { describe, expect, it } from 'vitest';
import {
  defaultModelCatalog,
  fallbackLadder,
  loadModelCatalog,
  type ModelCatalog,
  ModelCatalogError,
  type ModelSpec,
  modelAliases,
  modelNames,
  resolveModelKey,
} from './model-catalog.js';

function modelSpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    modelId: 'amazon.nova-lite-v1:0',
    displayName: 'Nova Lite',
    inputPer1M: 0.06,
    outputPer1M: 0.24,
    maxTokens: 4096,
    temperature: 0.2,
    timeoutMs: 10_000,
    onDemand: true,
    profiles: ['us', 'apac'],
    promptCaching: false,
    api: 'converse',
    ...overrides,
  };
}

/** Calls `load` and returns the ModelCatalogError it throws. */
function catalogError(load: () => unknown): ModelCatalogError {
  try {
    load();
  } catch (error) {
    if (error instanceof ModelCatalogError) return error;
    throw error;
  }
  throw new Error('expected a ModelCatalogError, but the catalog loaded');
}

describe('loadModelCatalog', () => {
  it('returns the default catalog when there are no overrides', () => {
    expect(loadModelCatalog()).toEqual(defaultModelCatalog);
    expect(loadModelCatalog('')).toEqual(defaultModelCatalog);
    expect(loadModelCatalog('  \n')).toEqual(defaultModelCatalog);
    expect(loadModelCatalog({})).toEqual(defaultModelCatalog);
  });

  it('keeps the seed prices of Claude 3 Haiku and Claude 3 Sonnet', () => {
    const models = Object.values(loadModelCatalog().models);

    expect(models.find((spec) => spec.modelId === 'anthropic.claude-3-haiku-20240307-v1:0')).toMatchObject({
      inputPer1M: 0.25,
      outputPer1M: 1.25,
    });
    expect(models.find((spec) => spec.modelId === 'anthropic.claude-3-sonnet-20240229-v1:0')).toMatchObject({
      inputPer1M: 3,
      outputPer1M: 15,
    });
  });

  it('points every default alias at a model of the catalog', () => {
    const catalog = loadModelCatalog();

    for (const alias of modelAliases) {
      expect(Object.keys(catalog.models)).toContain(catalog.aliases[alias]);
    }
  });

  it('changes a price from a JSON override and keeps the rest of the model', () => {
    const catalog = loadModelCatalog(JSON.stringify({ models: { 'claude-3-haiku': { inputPer1M: 0.3 } } }));

    expect(catalog.models['claude-3-haiku']).toEqual({
      ...defaultModelCatalog.models['claude-3-haiku'],
      inputPer1M: 0.3,
    });
    expect(catalog.aliases).toEqual(defaultModelCatalog.aliases);
  });

  it('adds a complete new model from an object override', () => {
    const catalog = loadModelCatalog({ models: { 'nova-lite': modelSpec() } });

    expect(catalog.models['nova-lite']).toEqual(modelSpec());
    expect(Object.keys(catalog.models)).toEqual([...Object.keys(defaultModelCatalog.models), 'nova-lite']);
  });

  it('defaults the api of a new model to converse', () => {
    const { api: _api, ...spec } = modelSpec();

    expect(loadModelCatalog({ models: { 'nova-lite': spec } }).models['nova-lite']?.api).toBe('converse');
  });

  it('repoints an alias and leaves the other aliases alone', () => {
    const catalog = loadModelCatalog({ aliases: { fast: 'claude-3-haiku' } });

    expect(catalog.aliases).toEqual({ ...defaultModelCatalog.aliases, fast: 'claude-3-haiku' });
  });

  it('builds on another base catalog when given one', () => {
    const base: ModelCatalog = {
      models: { only: modelSpec() },
      aliases: { fast: 'only', balanced: 'only', quality: 'only' },
    };

    expect(Object.keys(loadModelCatalog(undefined, base).models)).toEqual(['only']);
  });

  it('rejects overrides that are not valid JSON', () => {
    expect(catalogError(() => loadModelCatalog('{ models: ')).message).toMatch(/not valid JSON/);
  });

  it('rejects an unknown top-level field', () => {
    expect(catalogError(() => loadModelCatalog('{"modles": {}}')).message).toMatch(/modles/);
  });

  it('rejects an unknown field of a model', () => {
    const error = catalogError(() =>
      loadModelCatalog({ models: { 'claude-3-haiku': { inputPrice: 1 } as Partial<ModelSpec> } }),
    );

    expect(error.message).toMatch(/inputPrice/);
    expect(error.message).toMatch(/claude-3-haiku/);
  });

  it('rejects an unknown alias', () => {
    const error = catalogError(() => loadModelCatalog('{"aliases": {"cheap": "claude-3-haiku"}}'));

    expect(error.message).toMatch(/cheap/);
  });

  it('rejects a negative price and names the field', () => {
    const error = catalogError(() => loadModelCatalog({ models: { 'claude-3-haiku': { outputPer1M: -1 } } }));

    expect(error.message).toMatch(/models\["claude-3-haiku"\]\.outputPer1M/);
  });

  it('rejects a new model that leaves out a required field', () => {
    const error = catalogError(() =>
      loadModelCatalog({ models: { 'nova-lite': { modelId: 'amazon.nova-lite-v1:0' } } }),
    );

    expect(error.message).toMatch(/models\["nova-lite"\]\.displayName/);
  });

  it('rejects an alias to an unknown model', () => {
    const error = catalogError(() => loadModelCatalog({ aliases: { quality: 'claude-9' } }));

    expect(error.message).toMatch(/alias "quality" names unknown model "claude-9"/);
  });

  it('rejects an alias or fallback to a name every object inherits', () => {
    expect(catalogError(() => loadModelCatalog({ aliases: { fast: 'constructor' } })).message).toMatch(
      /alias "fast" names unknown model "constructor"/,
    );
    expect(
      catalogError(() => loadModelCatalog({ models: { 'claude-3-haiku': { fallback: 'hasOwnProperty' } } }))
        .message,
    ).toMatch(/model "claude-3-haiku" falls back to unknown model "hasOwnProperty"/);
  });

  it('rejects a fallback to an unknown model', () => {
    const error = catalogError(() =>
      loadModelCatalog({ models: { 'claude-3-haiku': { fallback: 'claude-2' } } }),
    );

    expect(error.message).toMatch(/model "claude-3-haiku" falls back to unknown model "claude-2"/);
  });

  it('rejects a fallback cycle', () => {
    const error = catalogError(() =>
      loadModelCatalog({ models: { 'claude-3-haiku': { fallback: 'claude-opus-4-5' } } }),
    );

    expect(error.message).toMatch(/fallback cycle through "/);
  });

  it('rejects a model that falls back to itself', () => {
    const error = catalogError(() =>
      loadModelCatalog({ models: { 'nova-lite': modelSpec({ fallback: 'nova-lite' }) } }),
    );

    expect(error.message).toMatch(/fallback cycle through "nova-lite"/);
  });

  it('rejects a model that is neither on demand nor reachable through a profile', () => {
    const error = catalogError(() =>
      loadModelCatalog({ models: { 'nova-lite': modelSpec({ onDemand: false, profiles: [] }) } }),
    );

    expect(error.message).toMatch(
      /model "nova-lite" is neither on-demand nor reachable through an inference profile/,
    );
  });

  it('names every problem in one error', () => {
    const error = catalogError(() =>
      loadModelCatalog({ aliases: { fast: 'nope' }, models: { 'claude-3-haiku': { fallback: 'gone' } } }),
    );

    expect(error.message).toMatch(/alias "fast"/);
    expect(error.message).toMatch(/falls back to unknown model "gone"/);
  });

  it('throws errors named ModelCatalogError', () => {
    expect(catalogError(() => loadModelCatalog('nope')).name).toBe('ModelCatalogError');
  });
});

describe('modelNames', () => {
  it('lists the catalog keys and the aliases', () => {
    expect(modelNames(defaultModelCatalog)).toEqual([
      ...Object.keys(defaultModelCatalog.models),
      'fast',
      'balanced',
      'quality',
    ]);
  });
});

describe('resolveModelKey', () => {
  const catalog = defaultModelCatalog;

  it('returns a catalog key as it is', () => {
    expect(resolveModelKey(catalog, 'claude-3-sonnet')).toBe('claude-3-sonnet');
  });

  it('resolves an alias to the key it names', () => {
    expect(resolveModelKey(catalog, 'fast')).toBe('claude-haiku-4-5');
    expect(resolveModelKey(catalog, 'balanced')).toBe('claude-sonnet-4-5');
    expect(resolveModelKey(catalog, 'quality')).toBe('claude-opus-4-5');
  });

  it('returns undefined for an unknown name, including auto and names every object inherits', () => {
    for (const name of ['claude-2', 'auto', 'constructor', 'toString', '__proto__']) {
      expect(resolveModelKey(catalog, name), name).toBeUndefined();
    }
  });
});

describe('fallbackLadder', () => {
  const catalog = defaultModelCatalog;

  it('walks from quality through balanced and fast to Claude 3 Haiku', () => {
    expect(fallbackLadder(catalog, catalog.aliases.quality)).toEqual([
      'claude-opus-4-5',
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
      'claude-3-haiku',
    ]);
  });

  it('is the model alone when it has no fallback', () => {
    expect(fallbackLadder(catalog, 'claude-3-haiku')).toEqual(['claude-3-haiku']);
  });

  it('follows an overridden fallback', () => {
    const overridden = loadModelCatalog({ models: { 'claude-opus-4-5': { fallback: 'claude-3-sonnet' } } });

    expect(fallbackLadder(overridden, 'claude-opus-4-5')).toEqual([
      'claude-opus-4-5',
      'claude-3-sonnet',
      'claude-3-haiku',
    ]);
  });
});
