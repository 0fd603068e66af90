/** What a text is embedded for: stored in the index, or asked against it (Cohere's `input_type`). */
export type EmbeddingPurpose = 'document' | 'query';

/**
 * The embedding port: texts in, one unit-length vector each, in order. Deployed, the gateway
 * calls the embedding model (batched, cached by text, costed); locally, the emulator answers with
 * `hashingEmbedding`.
 */
export interface Embedder {
  readonly dimensions: number;
  embed(texts: readonly string[], purpose: EmbeddingPurpose): Promise<Float32Array[]>;
}
