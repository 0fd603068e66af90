import * as z from 'zod/mini';
import { type Geography, geographies } from './geography.js';

/**
 * The model catalog: every model the gateway may call, keyed by a stable name
 * (`claude-haiku-4-5`), with its Bedrock id, prices, limits and fallback. Aliases
 * `fast | balanced | quality` name catalog keys. The default catalog can be overridden
 * from configuration (JSON) and is validated when loaded, so a typo fails at start-up,
 * never on a customer's request.
 */

const usdPerMillion = z.number().check(z.nonnegative());

export const modelSpecSchema = z.strictObject({
  /** Bedrock foundation-model id (`anthropic.claude-3-haiku-20240307-v1:0`). */
  modelId: z
    .string()
    .check(z.regex(/^[a-z0-9-]+\.[A-Za-z0-9.:_-]+$/, 'a Bedrock model id like provider.name-v1:0')),
  displayName: z.string().check(z.minLength(1)),
  /** USD per 1M input tokens. */
  inputPer1M: usdPerMillion,
  /** USD per 1M output tokens. */
  outputPer1M: usdPerMillion,
  /** USD per 1M input tokens written to the prompt cache (Anthropic: 1.25 × input). */
  cacheWritePer1M: z.optional(usdPerMillion),
  /** USD per 1M input tokens read from the prompt cache (Anthropic: 0.1 × input). */
  cacheReadPer1M: z.optional(usdPerMillion),
  /** Largest `max_tokens` the gateway will ask this model for. */
  maxTokens: z.int().check(z.positive()),
  temperature: z.number().check(z.minimum(0), z.maximum(1)),
  /** Per-attempt timeout; an attempt never outlives the caller's deadline either. */
  timeoutMs: z.int().check(z.positive()),
  /** The base id can be invoked on demand in a region (newer models need an inference profile). */
  onDemand: z.boolean(),
  /** Geographies with a cross-region inference profile (`jp.` + modelId). */
  profiles: z.array(z.enum(geographies)),
  /** Supports Bedrock prompt caching (a cache point after the system prompt). */
  promptCaching: z.boolean(),
  /** Which Bedrock API to call: model-agnostic Converse, or InvokeModel with the provider's body. */
  api: z._default(z.enum(['converse', 'invoke']), 'converse'),
  /** Catalog key of the next model to try when this one cannot answer. */
  fallback: z.optional(z.string()),
});

export type ModelSpec = z.infer<typeof modelSpecSchema>;

export const modelAliases = ['fast', 'balanced', 'quality'] as const;
export type ModelAlias = (typeof modelAliases)[number];

const catalogSchema = z.strictObject({
  models: z.record(z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]*$/)), modelSpecSchema),
  aliases: z.strictObject({ fast: z.string(), balanced: z.string(), quality: z.string() }),
});

export interface ModelCatalog {
  readonly models: Readonly<Record<string, ModelSpec>>;
  readonly aliases: Readonly<Record<ModelAlias, string>>;
}

const anthropicCache = (input: number) => ({ cacheWritePer1M: input * 1.25, cacheReadPer1M: input * 0.1 });

/**
 * Prices are Bedrock on-demand list prices (USD per 1M tokens). The Claude 3 entries are the
 * seeds' (Haiku $0.25/$1.25, Sonnet $3/$15); Claude 3 Sonnet is legacy and kept for them.
 */
export const defaultModelCatalog: ModelCatalog = {
  models: {
    'claude-3-haiku': {
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      displayName: 'Claude 3 Haiku',
      inputPer1M: 0.25,
      outputPer1M: 1.25,
      maxTokens: 4096,
      temperature: 0.2,
      timeoutMs: 10_000,
      onDemand: true,
      profiles: ['us', 'eu', 'apac'],
      promptCaching: false,
      api: 'converse',
    },
    'claude-3-sonnet': {
      modelId: 'anthropic.claude-3-sonnet-20240229-v1:0',
      displayName: 'Claude 3 Sonnet',
      inputPer1M: 3,
      outputPer1M: 15,
      maxTokens: 4096,
      temperature: 0.3,
      timeoutMs: 25_000,
      onDemand: true,
      profiles: ['us', 'eu', 'apac'],
      promptCaching: false,
      api: 'invoke',
      fallback: 'claude-3-haiku',
    },
    'claude-haiku-4-5': {
      modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
      displayName: 'Claude Haiku 4.5',
      inputPer1M: 1,
      outputPer1M: 5,
      ...anthropicCache(1),
      maxTokens: 4096,
      temperature: 0.2,
      timeoutMs: 10_000,
      onDemand: false,
      profiles: ['us', 'eu', 'apac', 'jp', 'au', 'global'],
      promptCaching: true,
      api: 'converse',
      fallback: 'claude-3-haiku',
    },
    'claude-sonnet-4-5': {
      modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
      displayName: 'Claude Sonnet 4.5',
      inputPer1M: 3,
      outputPer1M: 15,
      ...anthropicCache(3),
      maxTokens: 4096,
      temperature: 0.3,
      timeoutMs: 25_000,
      onDemand: false,
      profiles: ['us', 'eu', 'apac', 'jp', 'au', 'global'],
      promptCaching: true,
      api: 'converse',
      fallback: 'claude-haiku-4-5',
    },
    'claude-opus-4-5': {
      modelId: 'anthropic.claude-opus-4-5-20251101-v1:0',
      displayName: 'Claude Opus 4.5',
      inputPer1M: 5,
      outputPer1M: 25,
      ...anthropicCache(5),
      maxTokens: 4096,
      temperature: 0.3,
      timeoutMs: 28_000,
      onDemand: false,
      profiles: ['us', 'eu', 'global'],
      promptCaching: true,
      api: 'converse',
      fallback: 'claude-sonnet-4-5',
    },
  },
  aliases: { fast: 'claude-haiku-4-5', balanced: 'claude-sonnet-4-5', quality: 'claude-opus-4-5' },
};

export class ModelCatalogError extends Error {
  override readonly name = 'ModelCatalogError';
}

/** Partial per-model overrides; unknown keys add models (then every field is required). */
export interface ModelCatalogOverrides {
  readonly models?: Record<string, Partial<ModelSpec>>;
  readonly aliases?: Partial<Record<ModelAlias, string>>;
}

/**
 * Builds a validated catalog from the defaults plus overrides (an object or its JSON text,
 * e.g. from the `MODEL_CATALOG_JSON` environment variable). Throws `ModelCatalogError` naming
 * every problem: schema errors, aliases or fallbacks pointing nowhere, fallback cycles.
 */
export function loadModelCatalog(
  overrides?: ModelCatalogOverrides | string,
  base: ModelCatalog = defaultModelCatalog,
): ModelCatalog {
  let parsedOverrides: unknown = overrides ?? {};
  if (typeof overrides === 'string') {
    try {
      parsedOverrides = overrides.trim() === '' ? {} : JSON.parse(overrides);
    } catch (error) {
      throw new ModelCatalogError(`model catalog overrides are not valid JSON: ${(error as Error).message}`);
    }
  }
  const shape = z
    .strictObject({
      models: z.optional(z.record(z.string(), z.record(z.string(), z.unknown()))),
      aliases: z.optional(z.unknown()),
    })
    .safeParse(parsedOverrides);
  if (!shape.success) throw new ModelCatalogError(`model catalog overrides: ${z.prettifyError(shape.error)}`);

  const models: Record<string, unknown> = { ...base.models };
  for (const [key, patch] of Object.entries(shape.data.models ?? {})) {
    models[key] = { ...(base.models[key] ?? {}), ...patch };
  }
  const aliases = { ...base.aliases, ...(shape.data.aliases as object | undefined) };
  const result = catalogSchema.safeParse({ models, aliases });
  if (!result.success) throw new ModelCatalogError(`model catalog: ${z.prettifyError(result.error)}`);
  const catalog = result.data;

  const problems: string[] = [];
  for (const [alias, key] of Object.entries(catalog.aliases)) {
    if (!Object.hasOwn(catalog.models, key)) problems.push(`alias "${alias}" names unknown model "${key}"`);
  }
  for (const [key, spec] of Object.entries(catalog.models)) {
    if (spec.fallback !== undefined && !Object.hasOwn(catalog.models, spec.fallback)) {
      problems.push(`model "${key}" falls back to unknown model "${spec.fallback}"`);
    }
    if (!spec.onDemand && spec.profiles.length === 0) {
      problems.push(`model "${key}" is neither on-demand nor reachable through an inference profile`);
    }
  }
  for (const key of Object.keys(catalog.models)) {
    const seen = new Set<string>();
    for (let current: string | undefined = key; current; current = catalog.models[current]?.fallback) {
      if (seen.has(current)) {
        problems.push(`fallback cycle through "${current}"`);
        break;
      }
      seen.add(current);
    }
  }
  if (problems.length > 0) throw new ModelCatalogError(`model catalog: ${[...new Set(problems)].join('; ')}`);
  return catalog;
}

/** Every name a request may use for a model: catalog keys and aliases. */
export function modelNames(catalog: ModelCatalog): string[] {
  return [...Object.keys(catalog.models), ...modelAliases];
}

/** Resolves a catalog key or alias to a catalog key; undefined when unknown. */
export function resolveModelKey(catalog: ModelCatalog, name: string): string | undefined {
  if (Object.hasOwn(catalog.models, name)) return name;
  return (modelAliases as readonly string[]).includes(name) ? catalog.aliases[name as ModelAlias] : undefined;
}

/** The model and the models it falls back to, in order (cycles were rejected at load). */
export function fallbackLadder(catalog: ModelCatalog, key: string): string[] {
  const ladder: string[] = [];
  for (let current: string | undefined = key; current; current = catalog.models[current]?.fallback) {
    ladder.push(current);
  }
  return ladder;
}

export type { Geography };
