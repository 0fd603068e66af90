// The DynamoDB product catalog (embedding and recommendation side of the products table) through
// the real SDK clients against the embedded DynamoDB, beside what the FM trigger writes there.
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProductCatalog } from '@mangaassist/consumers/dynamodb';
import { productsTable } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { testTableName, useEmbeddedDynamoDb } from './embedded-dynamodb.js';

const table = testTableName(productsTable);

const documents = useEmbeddedDynamoDb([productsTable]);

function catalog() {
  return new DynamoDbProductCatalog(documents(), { tableName: table, maxScanPages: 50 });
}

async function storedProduct(productId: string) {
  const { Item: item } = await documents().send(
    new GetCommand({ TableName: table, Key: { product_id: productId }, ConsistentRead: true }),
  );
  return item;
}

const request = (title: string, requestedAt = '2026-02-01T09:00:00.000Z') => ({ title, requestedAt });

describe('DynamoDbProductCatalog on the embedded DynamoDB', () => {
  it('marks a product stale once per title, keeping every other attribute', async () => {
    const productId = `product-${randomUUID()}`;
    await documents().send(
      new PutCommand({
        TableName: table,
        Item: {
          product_id: productId,
          title: 'ONE PIECE 108',
          genre: '少年',
          ai_tags: ['shonen', 'pirates'],
        },
      }),
    );

    expect(await catalog().markEmbeddingStale(productId, request('ONE PIECE 108'))).toBe('marked');
    expect(
      await catalog().markEmbeddingStale(productId, request('ONE PIECE 108', '2026-02-02T00:00:00.000Z')),
    ).toBe('already-stale');

    expect(await storedProduct(productId)).toEqual({
      product_id: productId,
      title: 'ONE PIECE 108',
      genre: '少年',
      ai_tags: ['shonen', 'pirates'],
      embedding_status: 'stale',
      embedding_title: 'ONE PIECE 108',
      embedding_requested_at: '2026-02-01T09:00:00.000Z',
    });
  });

  it('marks again for another title, and after the pipeline set the embedding current', async () => {
    const productId = `product-${randomUUID()}`;

    await catalog().markEmbeddingStale(productId, request('A'));
    expect(await catalog().markEmbeddingStale(productId, request('B'))).toBe('marked');
    await documents().send(
      new PutCommand({
        TableName: table,
        Item: { ...(await storedProduct(productId)), embedding_status: 'current' },
      }),
    );
    expect(await catalog().markEmbeddingStale(productId, request('B'))).toBe('marked');
  });

  it('marks one of many concurrent identical requests', async () => {
    const productId = `product-${randomUUID()}`;

    const results = await Promise.all(
      Array.from({ length: 10 }, () => catalog().markEmbeddingStale(productId, request('C'))),
    );

    expect(results.filter((result) => result === 'marked')).toHaveLength(1);
  });

  it('lists products with their title, genre and tags, bounded by limit', async () => {
    const ids = Array.from({ length: 5 }, () => `list-${randomUUID()}`);
    for (const productId of ids) {
      await documents().send(
        new PutCommand({ TableName: table, Item: { product_id: productId, genre: 'seinen' } }),
      );
    }

    const listed = await catalog().list(1_000);

    expect(listed.filter((product) => ids.includes(product.productId))).toHaveLength(5);
    expect(await catalog().list(2)).toHaveLength(2);
  });

  it('pages through the whole table, every product once, and refuses a cursor no page gave', async () => {
    const prefix = `paged-${randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: 7 }, (_, index) => `${prefix}-${index}`);
    for (const productId of ids) {
      await documents().send(
        new PutCommand({ TableName: table, Item: { product_id: productId, title: productId } }),
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog().page(cursor, 3);
      seen.push(...page.products.map((product) => product.productId));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(seen.filter((id) => id.startsWith(prefix)).sort()).toEqual(ids);
    expect(new Set(seen).size).toBe(seen.length);
    await expect(catalog().page('not base64url!', 3)).rejects.toThrow(RangeError);
  });
});
