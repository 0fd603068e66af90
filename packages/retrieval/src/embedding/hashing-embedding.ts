import { fnv1a } from '../text/fnv1a.js';
import { characterNgrams, searchText } from '../text/search-text.js';
import type { Embedder, EmbeddingPurpose } from './embedder.js';

/** The emulated embedding model's size: Cohere Embed Multilingual v3's. */
export const hashingDimensions = 1024;

/**
 * A deterministic embedding in which texts sharing character bigrams and trigrams (after
 * `searchText`: NFKC, kana and case folded) point the same way: each n-gram adds ±1 to the
 * dimension its hash picks (the sign from a second hash, so unrelated grams cancel out on average),
 * and the vector is scaled to unit length. The emulator answers embedding requests with it, so
 * that local retrieval ranks by real overlap instead of noise; it knows no synonyms and no
 * translation (`ワンピース` and `One Piece` are far apart: a product's text carries both).
 */
export function hashingEmbedding(text: string, dimensions = hashingDimensions): Float32Array {
  const vector = new Float32Array(dimensions);
  const normalized = searchText(text);
  for (const gram of [...characterNgrams(normalized, 2), ...characterNgrams(normalized, 3)]) {
    const slot = fnv1a(gram) % dimensions;
    vector[slot] = (vector[slot] ?? 0) + ((fnv1a(gram, 0x9747b28c) & 1) === 0 ? 1 : -1);
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let index = 0; index < dimensions; index++) vector[index] = (vector[index] ?? 0) * scale;
  return vector;
}

/** An `Embedder` over `hashingEmbedding`, in process: for tests, the eval and local indexing. */
export class HashingEmbedder implements Embedder {
  constructor(readonly dimensions = hashingDimensions) {}

  async embed(texts: readonly string[], _purpose: EmbeddingPurpose): Promise<Float32Array[]> {
    return texts.map((text) => hashingEmbedding(text, this.dimensions));
  }
}

/** The dot product of two vectors of one length: their cosine similarity when both are unit length. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}
