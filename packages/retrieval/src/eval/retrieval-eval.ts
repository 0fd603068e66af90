import type { CatalogSearch, SearchMode } from '../search/catalog-search.js';
import type { GoldKind, GoldQuery } from './gold-set.js';

/** Where each gold question's product came: its rank (1 = first) within `depth`, or undefined. */
export interface GoldResult {
  readonly query: GoldQuery;
  readonly rank: number | undefined;
  /** The products ranked first, for reading a miss. */
  readonly top: readonly string[];
  /** Whether the question names the expected product (`SearchHit.named`), when it was found. */
  readonly named: boolean;
}

export interface RetrievalScores {
  readonly mode: SearchMode;
  /** Share of questions whose product is in the top 5 (one relevant product each: recall@5). */
  readonly recallAt5: number;
  /** Mean of 1 / rank over the top `depth` (0 beyond it). */
  readonly mrr: number;
  readonly byKind: Readonly<
    Partial<Record<GoldKind, { readonly questions: number; readonly recallAt5: number }>>
  >;
  readonly results: readonly GoldResult[];
}

/** Ranks searched for MRR. */
const depth = 10;

/** Asks every gold question in `mode` and scores where its product ranks. */
export async function evaluateRetrieval(
  search: Pick<CatalogSearch, 'search'>,
  gold: readonly GoldQuery[],
  mode: SearchMode,
): Promise<RetrievalScores> {
  const results: GoldResult[] = [];
  for (const query of gold) {
    const hits = await search.search(query.query, { mode, topK: depth });
    const ids = hits.map((hit) => hit.product.productId);
    const index = ids.indexOf(query.expected);
    results.push({
      query,
      rank: index === -1 ? undefined : index + 1,
      top: ids.slice(0, 3),
      named: hits[index]?.named ?? false,
    });
  }
  const within5 = (result: GoldResult) => result.rank !== undefined && result.rank <= 5;
  const kinds = [...new Set(results.map((result) => result.query.kind))];
  const byKind = Object.fromEntries(
    kinds.map((kind) => {
      const ofKind = results.filter((result) => result.query.kind === kind);
      return [kind, { questions: ofKind.length, recallAt5: ofKind.filter(within5).length / ofKind.length }];
    }),
  ) as Partial<Record<GoldKind, { questions: number; recallAt5: number }>>;
  return {
    mode,
    recallAt5: results.filter(within5).length / results.length,
    mrr:
      results.reduce((sum, result) => sum + (result.rank === undefined ? 0 : 1 / result.rank), 0) /
      results.length,
    byKind,
    results,
  };
}

/**
 * The questions about books the store does not carry for which a search names a product anyway
 * (`SearchHit.named` in its top 5): each would let an answer cite something the question did not
 * ask about. Zero is the target.
 */
export async function namedWithoutCarrying(
  search: Pick<CatalogSearch, 'search'>,
  questions: readonly string[],
): Promise<{ question: string; named: string[] }[]> {
  const wrong: { question: string; named: string[] }[] = [];
  for (const question of questions) {
    const named = (await search.search(question))
      .filter((hit) => hit.named)
      .map((hit) => hit.product.productId);
    if (named.length > 0) wrong.push({ question, named });
  }
  return wrong;
}
