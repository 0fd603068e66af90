import { assertIsoTimestamp } from '@mangaassist/consumers';
import type { SegmentRecommendations } from '@mangaassist/contracts';

/** Segments `list` returns at most: the configured segments are a handful. */
export const maxStoredSegments = 100;

/** The recommendation store could not be reached: the caller may retry (503, a retried state). */
export class RecommendationStoreUnavailableError extends Error {
  override readonly name = 'RecommendationStoreUnavailableError';
}

/**
 * The latest recommendation list of each segment. Deployed the recommendations table
 * (`DynamoDbRecommendationStore`), in tests and `pnpm dev`'s unit tests `MemoryRecommendationStore`.
 */
export interface RecommendationStore {
  /**
   * Stores `list` as its segment's list unless the stored one was generated later: `stored`, or
   * `stale` (nothing written). An equal `generated_at` is replaced — the same run retried.
   * Throws `RangeError` unless `generated_at` is in the `toISOString` form (the stores compare
   * the strings).
   */
  put(list: SegmentRecommendations): Promise<'stored' | 'stale'>;
  /** The segment's list, or `undefined` when none was generated yet. */
  get(segment: string): Promise<SegmentRecommendations | undefined>;
  /** Every stored list, by segment name, at most `maxStoredSegments`. */
  list(): Promise<SegmentRecommendations[]>;
}

/** A `RecommendationStore` in memory: copies in, copies out. */
export class MemoryRecommendationStore implements RecommendationStore {
  readonly #lists = new Map<string, SegmentRecommendations>();

  async put(list: SegmentRecommendations): Promise<'stored' | 'stale'> {
    assertIsoTimestamp(list.generated_at, 'generated_at');
    const stored = this.#lists.get(list.segment);
    if (stored !== undefined && stored.generated_at > list.generated_at) return 'stale';
    this.#lists.set(list.segment, copy(list));
    return 'stored';
  }

  async get(segment: string): Promise<SegmentRecommendations | undefined> {
    const stored = this.#lists.get(segment);
    return stored === undefined ? undefined : copy(stored);
  }

  async list(): Promise<SegmentRecommendations[]> {
    return [...this.#lists.values()]
      .sort((a, b) => (a.segment < b.segment ? -1 : 1))
      .slice(0, maxStoredSegments)
      .map(copy);
  }
}

function copy(list: SegmentRecommendations): SegmentRecommendations {
  return { ...list, product_ids: [...list.product_ids] };
}
