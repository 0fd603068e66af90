import type { ProductFilter } from '../catalog/catalog-product.js';
import type { AgeRating, Category } from '../catalog/sample-series.js';

/** What the index keeps beside a vector, to filter by without reading the products table. */
export interface VectorMetadata {
  readonly stock: number;
  readonly category: Category;
  readonly ageRating: AgeRating;
}

export interface VectorRecord {
  readonly id: string;
  /** Unit length, of the index's dimensions. */
  readonly vector: Float32Array;
  readonly metadata: VectorMetadata;
}

export interface VectorHit {
  readonly id: string;
  /** Cosine similarity, -1 to 1. */
  readonly score: number;
}

/**
 * The vector index port: records keyed by product id, nearest neighbours by cosine similarity.
 * `upsert` replaces a record of the same id; `delete` of an absent id does nothing; `query`
 * returns at most `topK` hits, best first, of records passing `filter`.
 */
export interface VectorIndex {
  readonly dimensions: number;
  upsert(records: readonly VectorRecord[]): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
  query(
    vector: Float32Array,
    options: { readonly topK: number; readonly filter?: ProductFilter },
  ): Promise<VectorHit[]>;
}
