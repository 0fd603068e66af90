import { matchesFilter, type ProductFilter } from '../catalog/catalog-product.js';
import { TopK } from './top-k.js';
import type { VectorHit, VectorIndex, VectorMetadata, VectorRecord } from './vector-index.js';

/**
 * The vector index in process: every vector in one growing `Float32Array`, searched exhaustively
 * (exact, and for 10,000 products of 1,024 dimensions a few milliseconds a query). A delete moves
 * the last record into the hole, so the vectors stay contiguous. For `pnpm dev`, tests and evals.
 */
export class MemoryVectorIndex implements VectorIndex {
  #vectors: Float32Array;
  readonly #ids: string[] = [];
  readonly #metadata: VectorMetadata[] = [];
  readonly #slots = new Map<string, number>();

  constructor(readonly dimensions: number) {
    this.#vectors = new Float32Array(dimensions * 64);
  }

  get size(): number {
    return this.#ids.length;
  }

  async upsert(records: readonly VectorRecord[]): Promise<void> {
    for (const record of records) {
      if (record.vector.length !== this.dimensions) {
        throw new RangeError(
          `${record.id}: a vector of ${record.vector.length} dimensions in an index of ${this.dimensions}`,
        );
      }
      let slot = this.#slots.get(record.id);
      if (slot === undefined) {
        slot = this.#ids.length;
        this.#grow(slot + 1);
        this.#ids.push(record.id);
        this.#metadata.push(record.metadata);
        this.#slots.set(record.id, slot);
      } else {
        this.#metadata[slot] = record.metadata;
      }
      this.#vectors.set(record.vector, slot * this.dimensions);
    }
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot === undefined) continue;
      const last = this.#ids.length - 1;
      if (slot !== last) {
        const moved = this.#ids[last] as string;
        this.#vectors.copyWithin(
          slot * this.dimensions,
          last * this.dimensions,
          (last + 1) * this.dimensions,
        );
        this.#ids[slot] = moved;
        this.#metadata[slot] = this.#metadata[last] as VectorMetadata;
        this.#slots.set(moved, slot);
      }
      this.#ids.pop();
      this.#metadata.pop();
      this.#slots.delete(id);
    }
  }

  async query(vector: Float32Array, options: { topK: number; filter?: ProductFilter }): Promise<VectorHit[]> {
    if (vector.length !== this.dimensions) {
      throw new RangeError(`a query of ${vector.length} dimensions in an index of ${this.dimensions}`);
    }
    const best = new TopK<number>(options.topK);
    const vectors = this.#vectors;
    const dimensions = this.dimensions;
    for (let slot = 0; slot < this.#ids.length; slot++) {
      if (!matchesFilter(this.#metadata[slot] as VectorMetadata, options.filter)) continue;
      let score = 0;
      const offset = slot * dimensions;
      for (let index = 0; index < dimensions; index++)
        score += (vectors[offset + index] as number) * (vector[index] as number);
      best.offer(slot, score);
    }
    return best.sorted().map(({ item, score }) => ({ id: this.#ids[item] as string, score }));
  }

  #grow(records: number): void {
    if (records * this.dimensions <= this.#vectors.length) return;
    const grown = new Float32Array(
      Math.max(records, (this.#vectors.length / this.dimensions) * 2) * this.dimensions,
    );
    grown.set(this.#vectors);
    this.#vectors = grown;
  }
}
