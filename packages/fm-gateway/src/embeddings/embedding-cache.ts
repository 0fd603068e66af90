/** Vectors already computed, by key (model, purpose and a hash of the text). */
export interface EmbeddingCache {
  /** The vector of each key, or undefined, in order. */
  get(keys: readonly string[]): Promise<(Float32Array | undefined)[]>;
  set(entries: readonly (readonly [key: string, vector: Float32Array])[]): Promise<void>;
}

/** An `EmbeddingCache` in process that keeps the `capacity` most recently used vectors. */
export class MemoryEmbeddingCache implements EmbeddingCache {
  readonly #entries = new Map<string, Float32Array>();

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    return keys.map((key) => {
      const vector = this.#entries.get(key);
      if (vector === undefined) return undefined;
      this.#entries.delete(key);
      this.#entries.set(key, vector);
      return new Float32Array(vector);
    });
  }

  async set(entries: readonly (readonly [string, Float32Array])[]): Promise<void> {
    for (const [key, vector] of entries) {
      this.#entries.delete(key);
      // Copies in and out: no caller's change to a vector reaches what the cache serves.
      this.#entries.set(key, new Float32Array(vector));
      if (this.#entries.size > this.capacity)
        this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }
}
