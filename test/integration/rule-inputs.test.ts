// The consumers take what the contract rules' input transformers deliver (the local bus applies
// the same transformers as EventBridge), and refuse what breaks the detail's contract.

import { recordingLogger } from '@mangaassist/commons/testing';
import { MemoryProductCatalog, makeEmbeddingRegenerationConsumer } from '@mangaassist/consumers';
import { catalogUpdateEvent } from '@mangaassist/consumers/testing';
import { eventRule } from '@mangaassist/contracts';
import { applyInputTransformer } from '@mangaassist/local';
import { describe, expect, it } from 'vitest';

/** What the catalog-updates rule delivers for this catalog update (the input transformer applied). */
function transformedCatalogUpdate(detail: Record<string, unknown>): unknown {
  const target = eventRule('catalog-updates').targets.find(
    (candidate) => candidate.id === 'embedding-regeneration',
  );
  const transformer = target?.inputTransformer;
  if (transformer === undefined) throw new Error('the rule lost its input transformer');
  return JSON.parse(
    applyInputTransformer(transformer, catalogUpdateEvent(detail), {
      ruleName: 'catalog-updates',
      ruleArn: 'arn:aws:events:ap-northeast-1:123456789012:rule/mangaassist/catalog-updates',
      ingestionTime: new Date(Date.UTC(2026, 1, 1)),
    }),
  );
}

function setup() {
  const catalog = new MemoryProductCatalog();
  const logger = recordingLogger();
  const consume = makeEmbeddingRegenerationConsumer({
    embeddings: catalog,
    logger,
    now: () => Date.UTC(2026, 1, 1, 9),
  });
  return { consume, catalog, logger };
}

describe('embedding regeneration behind the catalog-updates rule', () => {
  it('accepts exactly what the catalog-updates rule’s input transformer delivers', async () => {
    const { consume, catalog } = setup();
    const target = eventRule('catalog-updates').targets.find(
      (candidate) => candidate.id === 'embedding-regeneration',
    );
    const transformer = target?.inputTransformer;
    if (transformer === undefined) throw new Error('the rule lost its input transformer');
    const event = catalogUpdateEvent({ title: 'ONE PIECE "108" \\ 特装版' });

    const input = JSON.parse(
      applyInputTransformer(transformer, event, {
        ruleName: 'catalog-updates',
        ruleArn: 'arn:aws:events:ap-northeast-1:123456789012:rule/mangaassist/catalog-updates',
        ingestionTime: new Date(Date.UTC(2026, 1, 1)),
      }),
    );
    const result = await consume(input);

    expect(result.status).toBe('processed');
    expect(catalog.embedding('product-onepiece-108')?.title).toBe('ONE PIECE "108" \\ 特装版');
  });

  it.each([
    ['an empty product id', { product_id: '' }, 'product_id'],
    ['a product id longer than 128 characters', { product_id: 'p'.repeat(129) }, 'product_id'],
    ['a title longer than 512 characters', { title: '巻'.repeat(513) }, 'title'],
  ])(
    'records a catalog update with %s as rejected, with the reason, without writing',
    async (_, detail, field) => {
      const { consume, catalog, logger } = setup();

      const result = await consume(transformedCatalogUpdate(detail));

      expect(result).toMatchObject({ status: 'rejected', reason: 'invalid-detail' });
      expect(catalog.embedding('product-onepiece-108')).toBeUndefined();
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: expect.stringContaining('permanent failure'),
          fields: expect.objectContaining({
            reason: 'invalid-detail',
            issues: [expect.stringContaining(`${field}:`)],
          }),
        }),
      );
    },
  );
});
