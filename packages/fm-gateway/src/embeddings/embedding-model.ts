/** An embedding model the gateway calls: one model per index, since vectors of two cannot be compared. */
export interface EmbeddingModelSpec {
  /** Bedrock model id, invoked on demand (`cohere.embed-multilingual-v3`). */
  readonly modelId: string;
  readonly displayName: string;
  /** USD per 1M input tokens. */
  readonly inputPer1M: number;
  readonly dimensions: number;
  /** Texts one request may carry. */
  readonly maxTextsPerRequest: number;
  /** Characters one text may have: the caller shortens longer ones. */
  readonly maxCharacters: number;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
}

/**
 * Cohere Embed Multilingual v3 on Bedrock: Japanese and English in one space, 1,024 dimensions,
 * up to 96 texts of 2,048 characters a request, $0.10 per 1M input tokens (on-demand list price).
 */
export const cohereEmbedMultilingualV3: EmbeddingModelSpec = {
  modelId: 'cohere.embed-multilingual-v3',
  displayName: 'Cohere Embed Multilingual v3',
  inputPer1M: 0.1,
  dimensions: 1024,
  maxTextsPerRequest: 96,
  maxCharacters: 2048,
  timeoutMs: 10_000,
};
