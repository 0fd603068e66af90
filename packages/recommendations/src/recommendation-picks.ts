import type { CatalogProduct } from '@mangaassist/consumers';
import { sanitizeForPrompt } from '@mangaassist/fm-gateway';
import * as z from 'zod/mini';

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

function clean(text: string, max: number): string {
  return Array.from(sanitizeForPrompt(text).replace(/[\r\n]+/gu, ' '))
    .slice(0, max)
    .join('');
}
