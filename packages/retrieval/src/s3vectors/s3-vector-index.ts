import {
  DeleteVectorsCommand,
  PutVectorsCommand,
  QueryVectorsCommand,
  type QueryVectorsCommandInput,
  type S3VectorsClient,
} from '@aws-sdk/client-s3vectors';

/** A metadata filter as the SDK types it (a JSON document). */
type MetadataFilter = NonNullable<QueryVectorsCommandInput['filter']>;

import type { ProductFilter } from '../catalog/catalog-product.js';
import type { AgeRating } from '../catalog/sample-series.js';
import type { VectorHit, VectorIndex, VectorRecord } from '../index/vector-index.js';

/** Vectors one PutVectors or DeleteVectors request may carry (the service's limit). */
const perRequest = 500;
/** Neighbours one QueryVectors may return (the service's limit). */
const maxTopK = 100;

const ageBands: readonly AgeRating[] = ['all', '12+', '15+', '18+'];

export interface S3VectorIndexOptions {
  readonly client: S3VectorsClient;
  readonly vectorBucketName: string;
  readonly indexName: string;
  /** The index's dimension, set when it was created (1,024 for Cohere Embed v3). */
  readonly dimensions: number;
}

/** A product filter as an S3 Vectors metadata filter; undefined when it filters nothing. */
export function metadataFilter(filter: ProductFilter | undefined): MetadataFilter | undefined {
  const clauses: MetadataFilter[] = [];
  if (filter?.inStock) clauses.push({ stock: { $gt: 0 } });
  if (filter?.categories) clauses.push({ category: { $in: [...filter.categories] } });
  if (filter?.maxAgeRating) {
    clauses.push({ ageRating: { $in: ageBands.slice(0, ageBands.indexOf(filter.maxAgeRating) + 1) } });
  }
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

/**
 * The vector index on Amazon S3 Vectors (one vector bucket index of cosine distance): product id
 * as the key, stock, category and age rating as filterable metadata. A hit's score is the cosine
 * similarity (1 − the cosine distance the service returns). Errors are the SDK's.
 */
export class S3VectorIndex implements VectorIndex {
  readonly dimensions: number;

  constructor(private readonly options: S3VectorIndexOptions) {
    this.dimensions = options.dimensions;
  }

  async upsert(records: readonly VectorRecord[]): Promise<void> {
    for (const record of records) {
      if (record.vector.length !== this.dimensions) {
        throw new RangeError(
          `${record.id}: a vector of ${record.vector.length} dimensions in an index of ${this.dimensions}`,
        );
      }
    }
    for (let start = 0; start < records.length; start += perRequest) {
      await this.options.client.send(
        new PutVectorsCommand({
          ...this.#index(),
          vectors: records.slice(start, start + perRequest).map((record) => ({
            key: record.id,
            data: { float32: Array.from(record.vector) },
            metadata: { ...record.metadata },
          })),
        }),
      );
    }
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += perRequest) {
      await this.options.client.send(
        new DeleteVectorsCommand({ ...this.#index(), keys: ids.slice(start, start + perRequest) }),
      );
    }
  }

  async query(
    vector: Float32Array,
    options: { readonly topK: number; readonly filter?: ProductFilter },
  ): Promise<VectorHit[]> {
    if (vector.length !== this.dimensions) {
      throw new RangeError(`a query of ${vector.length} dimensions in an index of ${this.dimensions}`);
    }
    const topK = Math.min(maxTopK, Math.max(0, Math.floor(options.topK)));
    if (topK === 0) return [];
    const filter = metadataFilter(options.filter);
    const output = await this.options.client.send(
      new QueryVectorsCommand({
        ...this.#index(),
        queryVector: { float32: Array.from(vector) },
        topK,
        returnDistance: true,
        ...(filter ? { filter } : {}),
      }),
    );
    return (output.vectors ?? []).flatMap((hit) =>
      hit.key === undefined ? [] : [{ id: hit.key, score: 1 - (hit.distance ?? 1) }],
    );
  }

  #index() {
    return { vectorBucketName: this.options.vectorBucketName, indexName: this.options.indexName };
  }
}
