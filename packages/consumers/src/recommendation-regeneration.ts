import type { Clock, Logger } from '@mangaassist/commons';
import type { EventPublisher } from '@mangaassist/events';
import { sanitizeForPrompt } from '@mangaassist/fm-gateway';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import * as z from 'zod/mini';
import { PermanentConsumerError } from './consumer-errors.js';
import { type ConsumerModel, eventConsumersTenant, modelAnswer } from './consumer-model.js';
import { type ConsumerFunction, type DetailSchemaLookup, makeEventConsumer } from './event-consumer.js';
import { assertListLimit, type CatalogProduct, type ProductCatalogReader } from './product-catalog.js';

/**
 * The segments recommendations are made for, each with the genre words (lower case, NFKC) that
 * put a product in it; a product matches when its genre — or, without one, one of its AI tags —
 * contains one of the words.
 */
export const defaultRecommendationSegments: Readonly<Record<string, readonly string[]>> = {
  shonen: ['shonen', 'shōnen', 'shounen', '少年'],
  shojo: ['shojo', 'shōjo', 'shoujo', '少女'],
  seinen: ['seinen', '青年'],
};

/** Limits of one regeneration run. */
export const recommendationLimits = {
  /** Products read from the catalog per run. */
  maxProducts: 200,
  /** Candidates per segment shown to the model (keeps the prompt small). */
  maxCandidatesPerSegment: 40,
  /** Products picked per segment. */
  picksPerSegment: 5,
} as const;

/** The scheduled event EventBridge sends (`rate(6 hours)`, on the default bus). */
export const scheduledEvent = { source: 'aws.events', detailType: 'Scheduled Event' } as const;

const scheduledDetailSchema = z.record(z.string(), z.unknown());
const detailSchema: DetailSchemaLookup = (source, detailType) =>
  source === scheduledEvent.source && detailType === scheduledEvent.detailType
    ? scheduledDetailSchema
    : undefined;

/** Segment name -> its candidate products, in catalog order, at most `maxCandidatesPerSegment` each. */
export function segmentCandidates(
  products: readonly CatalogProduct[],
  segments: Readonly<Record<string, readonly string[]>> = defaultRecommendationSegments,
  maxPerSegment: number = recommendationLimits.maxCandidatesPerSegment,
): Map<string, CatalogProduct[]> {
  const fold = (text: string) => text.normalize('NFKC').toLowerCase();
  const candidates = new Map<string, CatalogProduct[]>();
  for (const [segment, words] of Object.entries(segments)) {
    const folded = words.map(fold);
    const matches = (text: string) => folded.some((word) => fold(text).includes(word));
    const members = products.filter((product) =>
      product.genre !== undefined ? matches(product.genre) : (product.tags ?? []).some(matches),
    );
    if (members.length > 0) candidates.set(segment, members.slice(0, maxPerSegment));
  }
  return candidates;
}

/** The prompt: each segment's candidates, one line each, and the JSON answer wanted. */
export function recommendationPrompt(
  candidates: ReadonlyMap<string, readonly CatalogProduct[]>,
  picks: number,
): string {
  const line = (product: CatalogProduct) => {
    const title = clean(product.title ?? '(untitled)', 120);
    const tags = (product.tags ?? []).slice(0, 5).map((tag) => clean(tag, 40));
    return `- ${JSON.stringify(product.productId)}: ${title}${tags.length > 0 ? ` [${tags.join(', ')}]` : ''}`;
  };
  const sections = [...candidates].map(
    ([segment, products]) => `## ${segment}\n${products.map(line).join('\n')}`,
  );
  const shape = `{${[...candidates.keys()].map((segment) => `"${segment}": ["<product id>", …]`).join(', ')}}`;
  return (
    `Choose up to ${picks} products to recommend to the readers of each manga segment below, ` +
    'best first, from that segment’s candidates only (id: title [tags]).\n\n' +
    `${sections.join('\n\n')}\n\n` +
    `Answer with JSON only, exactly this shape: ${shape}. Use only the quoted ids listed above.`
  );
}

/** The model's picks per segment, or why the answer cannot be used. */
export type RecommendationParse =
  | {
      readonly ok: true;
      readonly picks: ReadonlyMap<string, readonly string[]>;
      /** Ids the answer named that are not candidates of their segment (dropped). */
      readonly unknownIds: readonly string[];
    }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads the model's answer strictly: a JSON object (alone, or alone in one ```json fence) whose
 * keys are segments that were asked about and whose values are arrays of strings. Ids that are
 * not candidates of their segment are dropped and reported (`unknownIds`), repeats dropped, at
 * most `picks` kept per segment; a segment left with none is absent. Anything else is `ok: false`.
 */
export function parseRecommendations(
  answer: string,
  candidates: ReadonlyMap<string, readonly CatalogProduct[]>,
  picks: number = recommendationLimits.picksPerSegment,
): RecommendationParse {
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/u.exec(answer.trim());
  let value: unknown;
  try {
    value = JSON.parse(fenced?.[1] ?? answer.trim());
  } catch {
    return { ok: false, problem: 'the answer is not JSON' };
  }
  const shape = z.record(z.string(), z.array(z.string())).safeParse(value);
  if (!shape.success) return { ok: false, problem: 'the answer is not an object of id arrays' };
  const result = new Map<string, string[]>();
  const unknownIds: string[] = [];
  for (const [segment, ids] of Object.entries(shape.data)) {
    const members = candidates.get(segment);
    if (members === undefined) return { ok: false, problem: `unknown segment ${JSON.stringify(segment)}` };
    const known = new Set(members.map((product) => product.productId));
    const kept: string[] = [];
    for (const id of ids) {
      if (!known.has(id)) unknownIds.push(id);
      else if (!kept.includes(id) && kept.length < picks) kept.push(id);
    }
    if (kept.length > 0) result.set(segment, kept);
  }
  return { ok: true, picks: result, unknownIds };
}

export interface RecommendationRegenerationOptions {
  /** The consumed-events store: one claim per scheduled event id. */
  readonly dedupe: IdempotencyStore;
  /** Where `Recommendation.Generated` goes. */
  readonly events: EventPublisher;
  /** The FM gateway (`FmGateway`). */
  readonly model: ConsumerModel;
  readonly catalog: ProductCatalogReader;
  /** Catalog key or alias. @default 'fast' */
  readonly modelKey?: string;
  /** Budget of the model's answer. @default 8000 */
  readonly deadlineMs?: number;
  /** @default defaultRecommendationSegments */
  readonly segments?: Readonly<Record<string, readonly string[]>>;
  /** Products read per run, 1 to 1 000. @default 200 */
  readonly maxProducts?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms (`generated_at`). @default Date.now */
  readonly now?: () => number;
  /** Drives the model deadline. @default systemClock */
  readonly clock?: Clock;
}

/**
 * The recommendation regeneration (the `recommendation-schedule` rule, every 6 hours), behind
 * `makeEventConsumer`: reads up to 200 products from the catalog, groups them into segments by
 * genre (or AI tags) — shonen, shojo, seinen by default — asks the fast model once to pick up to
 * five per segment, parses the answer strictly (`parseRecommendations`: only candidate ids
 * survive), and emits one `Recommendation.Generated` per segment with picks (`segment`,
 * `product_ids`, `model_id`, `generated_at`; chain depth 1, since a schedule starts a chain).
 *
 * Outcomes: `skipped` (`no-candidates`) when no product falls in any segment — no model call;
 * `processed` with the segments emitted. Failures: the model failing, slow or degraded →
 * `TransientConsumerError` (the schedule's retry policy tries again; the DLQ keeps the rest); the
 * catalog or the bus failing → thrown alike; an unusable answer (not the JSON asked for, or no
 * candidate id in it) → permanent (`unparseable-recommendations`), acknowledged: the next run is
 * six hours away. Idempotent on the scheduled event's id; a retry after a partial publish may
 * emit a segment's list again — harmless, each event replaces the segment's list.
 *
 * Throws `RangeError` at construction for `maxProducts` outside 1 to 1 000.
 */
export function makeRecommendationRegenerationConsumer(
  options: RecommendationRegenerationOptions,
): ConsumerFunction {
  const deadlineMs = options.deadlineMs ?? 8_000;
  const modelKey = options.modelKey ?? 'fast';
  const segments = options.segments ?? defaultRecommendationSegments;
  const maxProducts = options.maxProducts ?? recommendationLimits.maxProducts;
  const picks = recommendationLimits.picksPerSegment;
  assertListLimit(maxProducts);

  return makeEventConsumer({
    name: 'recommendation-regeneration',
    dedupe: options.dedupe,
    events: options.events,
    detailSchema,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
    consume: async (_event, context) => {
      const products = await options.catalog.list(maxProducts);
      const candidates = segmentCandidates(products, segments);
      if (candidates.size === 0) {
        return { status: 'skipped', reason: 'no-candidates', summary: { products: products.length } };
      }
      const result = await modelAnswer(
        options.model,
        {
          tenantId: eventConsumersTenant,
          model: modelKey,
          system: 'You recommend manga for a Japanese manga store. You answer with JSON only.',
          messages: [{ role: 'user', content: recommendationPrompt(candidates, picks) }],
          maxTokens: 400,
          temperature: 0.3,
          requestId: `${context.eventId}:recommendations`,
          chain: context.chain,
        },
        { deadlineMs, ...(options.clock ? { clock: options.clock } : {}) },
      );
      const parsed = parseRecommendations(result.text, candidates, picks);
      if (!parsed.ok || parsed.picks.size === 0) {
        throw new PermanentConsumerError(
          `the model's recommendations cannot be used: ${parsed.ok ? 'no candidate id in the answer' : parsed.problem}`,
          'unparseable-recommendations',
        );
      }
      if (parsed.unknownIds.length > 0) {
        context.logger.warn('recommendation-regeneration: the model named ids that are not candidates', {
          eventId: context.eventId,
          unknownIds: parsed.unknownIds.slice(0, 20),
        });
      }
      const generatedAt = new Date(context.now()).toISOString();
      for (const [segment, productIds] of parsed.picks) {
        await context.emit('Recommendation.Generated', {
          segment,
          product_ids: [...productIds],
          model_id: result.modelId,
          generated_at: generatedAt,
        });
      }
      return {
        status: 'processed',
        summary: {
          segments: [...parsed.picks.keys()],
          products: products.length,
          unknown_ids: parsed.unknownIds.length,
          model_id: result.modelId,
        },
      };
    },
  });
}

function clean(text: string, max: number): string {
  return Array.from(sanitizeForPrompt(text).replace(/[\r\n]+/gu, ' '))
    .slice(0, max)
    .join('');
}
