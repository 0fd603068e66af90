// Embeddings through the gateway, driving the REAL Bedrock Runtime SDK client against the local
// emulator: Cohere Embed's wire format, batching, the cache, and failover between regions.

import { EmbeddingGateway, MemoryEmbeddingCache } from '@mangaassist/fm-gateway';
import { bedrockEmbeddingRuntime, createBedrockRuntimeClient } from '@mangaassist/fm-gateway/bedrock';
import { type BedrockEmulator, startBedrockEmulator } from '@mangaassist/local';
import { hashingEmbedding } from '@mangaassist/retrieval';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let emulator: BedrockEmulator;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterEach(() => {
  emulator.faults.clear();
  emulator.resetStats();
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(async () => {
  await emulator.close();
});

function embeddingGateway(regions: readonly string[]) {
  return new EmbeddingGateway({
    regions,
    cache: new MemoryEmbeddingCache(),
    retry: { maxAttempts: 1 },
    runtimes: (region) => {
      const client = createBedrockRuntimeClient({ region, endpoint: emulator.url, credentials });
      clients.push(client);
      return bedrockEmbeddingRuntime(client, region);
    },
  });
}

describe('embeddings through the gateway against the emulator', () => {
  it('gets the model’s vectors for 200 texts in three requests, then from the cache', async () => {
    const gateway = embeddingGateway(['ap-northeast-1']);
    const texts = Array.from({ length: 200 }, (_, n) => `ONE PIECE ${n + 1} ワンピース`);
    const first = await gateway.embed(texts, 'document');
    expect(first.vectors).toHaveLength(200);
    expect(first.vectors[41]).toEqual(hashingEmbedding(texts[41] ?? ''));
    expect(emulator.stats().attempts).toBe(3);
    const again = await gateway.embed(texts.slice(0, 10), 'document');
    expect(again).toMatchObject({ cached: 10, embedded: 0 });
    expect(emulator.stats().attempts).toBe(3);
  });

  it('embeds in Osaka when Tokyo throttles', async () => {
    emulator.faults.add({ region: 'ap-northeast-1', error: 'ThrottlingException', rate: 1 });
    const gateway = embeddingGateway(['ap-northeast-1', 'ap-northeast-3']);
    const result = await gateway.embed(['葬送のフリーレン'], 'query');
    expect(result.vectors[0]).toEqual(hashingEmbedding('葬送のフリーレン'));
    expect(emulator.stats({ region: 'ap-northeast-3' }).outcomes.ok).toBe(1);
  });
});
