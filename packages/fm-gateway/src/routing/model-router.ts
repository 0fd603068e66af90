import type { Random } from '@mangaassist/commons';
import * as z from 'zod/mini';
import { type ModelCatalog, modelNames, resolveModelKey } from '../catalog/model-catalog.js';
import type { ChatMessage } from '../runtime/model-runtime.js';
import {
  assessComplexity,
  createKeywordMatcher,
  defaultAnalysisKeywords,
  defaultLongPromptTokens,
  type TokenEstimator,
} from './complexity.js';
import { type ExperimentConfig, experimentSchema, pickVariant } from './experiments.js';

/** The requested name that asks the router to choose by the prompt's complexity. */
export const autoModelName = 'auto';

export interface RouteRequest {
  /** What the caller asked for: `auto`, an alias (`fast | balanced | quality`) or a catalog key. */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly system?: string;
  /** Makes A/B assignment sticky; without it (or when empty) the variant is drawn at random. */
  readonly sessionId?: string;
}

export interface RouteDecision {
  /** The catalog key that will answer. */
  readonly model: string;
  /** The name the caller asked for, as given. */
  readonly requested: string;
  /**
   * Why: `explicit`, `alias:fast`, `auto:simple`, `auto:long(tokens=412)`,
   * `auto:complex(keyword=分析)` or `ab:<experiment>:<variant model as configured>`.
   */
  readonly reason: string;
}

export interface ComplexityOptions {
  /**
   * A prompt with more estimated tokens than this goes to `complexModel`.
   * @default 260 - seed 000's 200 words at ≈ 1.3 tokens a word; ≈ 200 Japanese characters
   */
  readonly longPromptTokens?: number;
  /**
   * Words that mark an analytical request; matched after NFKC and lower-casing.
   * @default defaultAnalysisKeywords (English and Japanese)
   */
  readonly keywords?: readonly string[];
  /**
   * Measure and search the system prompt too, not only the last user message. Off by default:
   * the system prompt is the deployment's fixed instructions and says nothing about the request.
   * @default false
   */
  readonly includeSystem?: boolean;
  /**
   * Model (alias or catalog key) for simple prompts.
   * @default 'fast'
   */
  readonly simpleModel?: string;
  /**
   * Model (alias or catalog key) for long or analytical prompts (seed: Haiku → Sonnet).
   * @default 'balanced'
   */
  readonly complexModel?: string;
}

export interface ModelRouterOptions {
  readonly catalog: ModelCatalog;
  /** CJK-aware token estimate (`estimateTokens` from `../text`). */
  readonly estimateTokens: TokenEstimator;
  /** @default - the defaults of each `ComplexityOptions` member */
  readonly complexity?: ComplexityOptions;
  /**
   * A/B experiments; at most one per requested name. Validated at construction.
   * @default - none
   */
  readonly experiments?: readonly ExperimentConfig[];
  /**
   * Draws the variant for requests without a session id.
   * @default Math.random
   */
  readonly random?: Random;
}

/** The requested model name is neither `auto`, an alias nor a catalog key (the API answers 400). */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  constructor(
    readonly requested: string,
    /** Every name a request may use. */
    readonly known: readonly string[],
  ) {
    super(`Unknown model "${requested}"; use one of: ${known.join(', ')}`);
  }
}

/** The router's configuration is invalid; thrown at construction, never per request. */
export class RoutingConfigError extends Error {
  override readonly name = 'RoutingConfigError';
}

interface ResolvedVariant {
  readonly model: string;
  readonly key: string;
  readonly weight: number;
}

interface ResolvedExperiment {
  readonly name: string;
  readonly variants: readonly [ResolvedVariant, ...ResolvedVariant[]];
}

function routerConfigSchema(catalog: ModelCatalog) {
  const resolves = (name: string) => resolveModelKey(catalog, name) !== undefined;
  const known = () => [autoModelName, ...modelNames(catalog)].join(', ');
  return z
    .object({
      complexity: z.prefault(
        z.strictObject({
          longPromptTokens: z._default(z.int().check(z.positive()), defaultLongPromptTokens),
          keywords: z._default(z.array(z.string().check(z.trim(), z.minLength(1))), [
            ...defaultAnalysisKeywords,
          ]),
          includeSystem: z._default(z.boolean(), false),
          simpleModel: z._default(z.string(), 'fast'),
          complexModel: z._default(z.string(), 'balanced'),
        }),
        {},
      ),
      experiments: z._default(z.array(experimentSchema), []),
    })
    .check(
      z.superRefine(({ complexity, experiments }, context) => {
        for (const field of ['simpleModel', 'complexModel'] as const) {
          if (!resolves(complexity[field])) {
            context.addIssue({
              code: 'custom',
              path: ['complexity', field],
              message: `"${complexity[field]}" is not a catalog key or alias`,
            });
          }
        }
        const names = new Set<string>();
        const targets = new Set<string>();
        experiments.forEach((experiment, index) => {
          if (names.has(experiment.name)) {
            context.addIssue({
              code: 'custom',
              path: ['experiments', index, 'name'],
              message: `duplicate experiment name "${experiment.name}"`,
            });
          }
          names.add(experiment.name);
          if (targets.has(experiment.appliesTo)) {
            context.addIssue({
              code: 'custom',
              path: ['experiments', index, 'appliesTo'],
              message: `another experiment already applies to "${experiment.appliesTo}"`,
            });
          }
          targets.add(experiment.appliesTo);
          if (experiment.appliesTo !== autoModelName && !resolves(experiment.appliesTo)) {
            context.addIssue({
              code: 'custom',
              path: ['experiments', index, 'appliesTo'],
              message: `"${experiment.appliesTo}" is not a model name a request may use (${known()})`,
            });
          }
          const variantKeys = new Set<string>();
          experiment.variants.forEach((variant, variantIndex) => {
            const key = resolveModelKey(catalog, variant.model);
            if (key === undefined) {
              context.addIssue({
                code: 'custom',
                path: ['experiments', index, 'variants', variantIndex, 'model'],
                message: `"${variant.model}" is not a catalog key or alias`,
              });
            } else if (variantKeys.has(key)) {
              context.addIssue({
                code: 'custom',
                path: ['experiments', index, 'variants', variantIndex, 'model'],
                message: `"${variant.model}" names the same model (${key}) as another variant`,
              });
            } else variantKeys.add(key);
          });
        });
      }),
    );
}

/**
 * Decides which catalog model answers a request.
 *
 * - An experiment configured for the requested name takes precedence: the variant is chosen
 *   by weight, sticky per session (see `./experiments.ts`); reason `ab:<experiment>:<variant>`.
 * - `auto`: seed 000 §5.2's heuristic over the last user message (see `./complexity.ts`):
 *   an analysis keyword or more than `longPromptTokens` tokens → `complexModel`, else
 *   `simpleModel`.
 * - An alias or catalog key: that model.
 *
 * Construction validates the configuration against the catalog and throws `RoutingConfigError`
 * naming every problem; `route` throws `UnknownModelError` for a name the catalog does not know.
 *
 * @example
 * const router = new ModelRouter({ catalog, estimateTokens,
 *   experiments: [{ name: 'sonnet-20', appliesTo: 'auto',
 *     variants: [{ model: 'balanced', weight: 20 }, { model: 'fast', weight: 80 }] }] });
 * router.route({ model: 'auto', messages, sessionId }); // { model: 'claude-haiku-4-5', reason: 'ab:sonnet-20:fast', … }
 */
export class ModelRouter {
  readonly #catalog: ModelCatalog;
  readonly #estimateTokens: TokenEstimator;
  readonly #random: Random;
  readonly #matchKeyword: (text: string) => string | undefined;
  readonly #longPromptTokens: number;
  readonly #includeSystem: boolean;
  readonly #simpleKey: string;
  readonly #complexKey: string;
  readonly #experiments: ReadonlyMap<string, ResolvedExperiment>;

  constructor(options: ModelRouterOptions) {
    const parsed = routerConfigSchema(options.catalog).safeParse({
      complexity: options.complexity,
      experiments: options.experiments,
    });
    if (!parsed.success) {
      throw new RoutingConfigError(`model router configuration: ${z.prettifyError(parsed.error)}`);
    }
    const { complexity, experiments } = parsed.data;
    this.#catalog = options.catalog;
    this.#estimateTokens = options.estimateTokens;
    this.#random = options.random ?? Math.random;
    this.#matchKeyword = createKeywordMatcher(complexity.keywords);
    this.#longPromptTokens = complexity.longPromptTokens;
    this.#includeSystem = complexity.includeSystem;
    this.#simpleKey = this.#resolveConfigured(complexity.simpleModel);
    this.#complexKey = this.#resolveConfigured(complexity.complexModel);
    this.#experiments = new Map(
      experiments.map((experiment) => {
        const [first, ...rest] = experiment.variants.map((variant) => ({
          ...variant,
          key: this.#resolveConfigured(variant.model),
        }));
        if (!first) throw new RoutingConfigError(`experiment "${experiment.name}" has no variants`);
        return [experiment.appliesTo, { name: experiment.name, variants: [first, ...rest] }] as const;
      }),
    );
  }

  /** Chooses the model for a request. Throws `UnknownModelError` for an unknown name. */
  route(request: RouteRequest): RouteDecision {
    const requested = request.model;
    const experiment = this.#experiments.get(requested);
    if (experiment) {
      const sessionId = request.sessionId === '' ? undefined : request.sessionId;
      const variant = pickVariant(experiment.name, experiment.variants, sessionId, this.#random);
      return { model: variant.key, requested, reason: `ab:${experiment.name}:${variant.model}` };
    }
    if (requested === autoModelName) return this.#routeAuto(request);
    const key = resolveModelKey(this.#catalog, requested);
    if (key === undefined) {
      throw new UnknownModelError(requested, [autoModelName, ...modelNames(this.#catalog)]);
    }
    return { model: key, requested, reason: key === requested ? 'explicit' : `alias:${requested}` };
  }

  #routeAuto(request: RouteRequest): RouteDecision {
    const lastUser = request.messages.findLast((message) => message.role === 'user')?.content ?? '';
    const text = this.#includeSystem && request.system ? `${request.system}\n${lastUser}` : lastUser;
    const assessment = assessComplexity(text, {
      matchKeyword: this.#matchKeyword,
      estimateTokens: this.#estimateTokens,
      longPromptTokens: this.#longPromptTokens,
    });
    const requested = autoModelName;
    switch (assessment.kind) {
      case 'complex':
        return { model: this.#complexKey, requested, reason: `auto:complex(keyword=${assessment.keyword})` };
      case 'long':
        return { model: this.#complexKey, requested, reason: `auto:long(tokens=${assessment.tokens})` };
      case 'simple':
        return { model: this.#simpleKey, requested, reason: 'auto:simple' };
    }
  }

  #resolveConfigured(name: string): string {
    const key = resolveModelKey(this.#catalog, name);
    // The schema has already checked every configured name; this guards the invariant.
    if (key === undefined) throw new RoutingConfigError(`"${name}" is not a catalog key or alias`);
    return key;
  }
}
