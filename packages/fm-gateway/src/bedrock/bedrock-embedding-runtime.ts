import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { EmbeddingPurpose, EmbeddingRuntime } from '../embeddings/embedding-runtime.js';

/** Cohere's `input_type` for each purpose. */
const inputTypes: Record<EmbeddingPurpose, string> = { document: 'search_document', query: 'search_query' };

/**
 * Cohere Embed v3 on Bedrock's InvokeModel: the texts in one request, `truncate: END` (a text past
 * the model's 512 tokens loses its end, not the request), the float vectors back in order.
 */
export function bedrockEmbeddingRuntime(client: BedrockRuntimeClient, region: string): EmbeddingRuntime {
  return {
    region,
    async embed(modelId, texts, purpose, signal) {
      const output = await client.send(
        new InvokeModelCommand({
          modelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: new TextEncoder().encode(
            JSON.stringify({ texts, input_type: inputTypes[purpose], truncate: 'END' }),
          ),
        }),
        { abortSignal: signal },
      );
      const body = JSON.parse(new TextDecoder().decode(output.body)) as { embeddings?: unknown };
      if (!Array.isArray(body.embeddings) || !body.embeddings.every((vector) => Array.isArray(vector))) {
        throw new TypeError(`${modelId} answered without a list of float vectors`);
      }
      return (body.embeddings as number[][]).map((vector) => Float32Array.from(vector));
    },
  };
}
