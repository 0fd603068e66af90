import type { ChatGroundingOptions } from '@mangaassist/chat';
import { EmbeddingGateway, MemoryEmbeddingCache } from '@mangaassist/fm-gateway';
import { bedrockEmbeddingRuntime, createBedrockRuntimeClient } from '@mangaassist/fm-gateway/bedrock';
import { CatalogSearch, type Embedder, sampleCatalog } from '@mangaassist/retrieval';
import { localCredentials, localRegion } from './local-aws.js';

/**
 * Embeddings as the platform makes them (`EmbeddingGateway`, Cohere Embed on Bedrock), from the
 * local emulator at `emulatorUrl`, cached in memory. `close` releases its client.
 */
export function localEmbedder(emulatorUrl: string): { embedder: Embedder; close(): void } {
  const client = createBedrockRuntimeClient({
    region: localRegion,
    endpoint: emulatorUrl,
    credentials: localCredentials,
  });
  const gateway = new EmbeddingGateway({
    regions: [localRegion],
    cache: new MemoryEmbeddingCache(20_000),
    runtimes: () => bedrockEmbeddingRuntime(client, localRegion),
  });
  return {
    embedder: {
      dimensions: gateway.dimensions,
      embed: async (texts, purpose) => (await gateway.embed(texts, purpose)).vectors,
    },
    close: () => client.destroy(),
  };
}

/**
 * The sample catalog as `pnpm dev`'s chat answers from it: every product embedded through the
 * gateway's embeddings on the local emulator (as deployed, through Bedrock), into the in-process
 * index. `close` releases the embedding client.
 */
export async function localCatalogGrounding(
  emulatorUrl: string,
): Promise<{ grounding: ChatGroundingOptions; close(): void }> {
  const { embedder, close } = localEmbedder(emulatorUrl);
  const catalog = sampleCatalog();
  try {
    const search = await CatalogSearch.build(catalog, embedder);
    return { grounding: { search, catalog }, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** Whether `CATALOG` leaves the sample catalog on: anything but `0`, `false`, `off` or `no`. */
export function catalogEnabled(value: string | undefined): boolean {
  return !['0', 'false', 'off', 'no'].includes((value ?? '').trim().toLowerCase());
}
