/** What a text is embedded for: stored in an index, or asked against it. */
export type EmbeddingPurpose = 'document' | 'query';

/** One region's embedding endpoint: vectors for texts, in order. Rejects with the SDK's error. */
export interface EmbeddingRuntime {
  readonly region: string;
  embed(
    modelId: string,
    texts: readonly string[],
    purpose: EmbeddingPurpose,
    signal: AbortSignal,
  ): Promise<Float32Array[]>;
}

/** The embedding runtime of a region; adapters build and reuse one client per region. */
export type EmbeddingRuntimeProvider = (region: string) => EmbeddingRuntime;
