import { recordingLogger } from '@mangaassist/commons/testing';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { consumerFactory } from './consumer-registry.js';
import {
  type EmbeddingRegenerationInput,
  embeddingRequestId,
  embeddingRequestReader,
  makeEmbeddingRegenerationConsumer,
} from './embedding-regeneration.js';
import { MemoryProductCatalog } from './product-catalog.js';
import { catalogUpdateEvent } from './testing/consumer-fixtures.js';

function regenerationInput(overrides: Partial<EmbeddingRegenerationInput> = {}): EmbeddingRegenerationInput {
  return { action: 'regenerate', product_id: 'product-onepiece-108', title: 'ONE PIECE 108', ...overrides };
}

function setup() {
  let now = Date.UTC(2026, 1, 1, 9);
  const catalog = new MemoryProductCatalog();
  const logger = recordingLogger();
  const consume = makeEmbeddingRegenerationConsumer({ embeddings: catalog, logger, now: () => now });
  return { consume, catalog, logger, advance: (ms: number) => (now += ms) };
}

describe('embedding regeneration consumer', () => {
  it('marks the product’s embedding stale for the title it was sent', async () => {
    const { consume, catalog } = setup();

    const result = await consume(regenerationInput());

    expect(result).toMatchObject({ consumer: 'embedding-regeneration', status: 'processed' });
    expect(catalog.embedding('product-onepiece-108')).toEqual({
      status: 'stale',
      title: 'ONE PIECE 108',
      requestedAt: '2026-02-01T09:00:00.000Z',
    });
  });

  it('changes nothing when the same request comes back, keeping the first request time', async () => {
    const { consume, catalog, advance } = setup();

    await consume(regenerationInput());
    advance(60_000);
    const again = await consume(regenerationInput());

    expect(again).toMatchObject({ status: 'skipped', reason: 'already-stale' });
    expect(catalog.embedding('product-onepiece-108')?.requestedAt).toBe('2026-02-01T09:00:00.000Z');
  });

  it('writes once for concurrent identical deliveries', async () => {
    const { consume } = setup();

    const results = await Promise.all(Array.from({ length: 5 }, () => consume(regenerationInput())));

    expect(results.filter((result) => result.status === 'processed')).toHaveLength(1);
  });

  it('follows a title changed and changed back', async () => {
    const { consume, catalog } = setup();

    await consume(regenerationInput({ title: 'A' }));
    await consume(regenerationInput({ title: 'B' }));
    const back = await consume(regenerationInput({ title: 'A' }));

    expect(back.status).toBe('processed');
    expect(catalog.embedding('product-onepiece-108')?.title).toBe('A');
  });

  it('asks again once the pipeline has rebuilt the embedding', async () => {
    const { consume, catalog } = setup();

    await consume(regenerationInput());
    catalog.markEmbeddingCurrent('product-onepiece-108');
    const again = await consume(regenerationInput());

    expect(again.status).toBe('processed');
    expect(catalog.embedding('product-onepiece-108')?.status).toBe('stale');
  });

  it.each([
    ['a whole EventBridge event', catalogUpdateEvent()],
    ['another action', regenerationInput({ action: 'delete' as 'regenerate' })],
    ['no product id', { action: 'regenerate', title: 'ONE PIECE 108' }],
    ['an extra field', { ...regenerationInput(), chain_depth: 0 }],
    ['nothing', undefined],
  ])('acknowledges %s without writing', async (_, input) => {
    const { consume, catalog, logger } = setup();

    const result = await consume(input);

    expect(result).toMatchObject({ status: 'rejected', reason: 'malformed-envelope' });
    expect(catalog.embedding('product-onepiece-108')).toBeUndefined();
    expect(logger.entries.some((entry) => entry.level === 'error')).toBe(true);
  });

  it('throws when the store fails, so EventBridge retries', async () => {
    const catalog = new MemoryProductCatalog();
    catalog.markEmbeddingStale = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const consume = makeEmbeddingRegenerationConsumer({ embeddings: catalog });

    await expect(consume(regenerationInput())).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('embeddingRequestReader', () => {
  it('names a request by its product and title', () => {
    const id = embeddingRequestId(regenerationInput());

    expect(id).toMatch(/^regenerate-[0-9a-f]{64}$/);
    expect(embeddingRequestId(regenerationInput())).toBe(id);
    expect(embeddingRequestId(regenerationInput({ title: 'ONE PIECE 109' }))).not.toBe(id);
  });

  it('makes an envelope at the time it reads the input', () => {
    const reading = embeddingRequestReader(() => Date.UTC(2026, 1, 1))(regenerationInput());

    expect(reading).toMatchObject({
      ok: true,
      event: {
        source: 'mangaassist.catalog',
        'detail-type': 'EmbeddingRegeneration.Requested',
        time: '2026-02-01T00:00:00.000Z',
        detail: regenerationInput(),
      },
    });
  });
});

describe('embedding-regeneration in the consumer registry', () => {
  it('is built from the product catalog, and takes the transformed input as it comes', async () => {
    const catalog = new MemoryProductCatalog();
    const consume = consumerFactory('embedding-regeneration')({
      dedupe: new MemoryIdempotencyStore(),
      productCatalog: catalog,
    });

    expect((await consume(regenerationInput())).status).toBe('processed');
    expect(catalog.embedding('product-onepiece-108')?.status).toBe('stale');
  });
});
