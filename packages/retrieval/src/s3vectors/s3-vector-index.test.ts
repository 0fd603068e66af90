import {
  DeleteVectorsCommand,
  PutVectorsCommand,
  QueryVectorsCommand,
  S3VectorsClient,
} from '@aws-sdk/client-s3vectors';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { VectorMetadata } from '../index/vector-index.js';
import { metadataFilter, S3VectorIndex } from './s3-vector-index.js';

const s3vectors = mockClient(S3VectorsClient);
afterAll(() => s3vectors.restore());
beforeEach(() => s3vectors.reset());

const metadata: VectorMetadata = { stock: 3, category: 'shonen', ageRating: '12+' };
const index = () =>
  new S3VectorIndex({
    client: new S3VectorsClient({ region: 'ap-northeast-1' }),
    vectorBucketName: 'mangaassist-dev-catalog',
    indexName: 'products',
    dimensions: 2,
  });

describe('metadataFilter', () => {
  it('writes each product filter as S3 Vectors’ operators, all of them under $and', () => {
    expect(metadataFilter(undefined)).toBeUndefined();
    expect(metadataFilter({})).toBeUndefined();
    expect(metadataFilter({ inStock: true })).toEqual({ stock: { $gt: 0 } });
    expect(metadataFilter({ maxAgeRating: '15+' })).toEqual({ ageRating: { $in: ['all', '12+', '15+'] } });
    expect(metadataFilter({ inStock: true, categories: ['shojo', 'josei'], maxAgeRating: 'all' })).toEqual({
      $and: [
        { stock: { $gt: 0 } },
        { category: { $in: ['shojo', 'josei'] } },
        { ageRating: { $in: ['all'] } },
      ],
    });
  });
});

describe('S3VectorIndex', () => {
  it('puts records as float32 vectors keyed by product id, 500 a request', async () => {
    s3vectors.on(PutVectorsCommand).resolves({});
    const records = Array.from({ length: 501 }, (_, n) => ({
      id: `p${n}`,
      vector: Float32Array.from([0.6, 0.8]),
      metadata,
    }));
    await index().upsert(records);
    const calls = s3vectors.commandCalls(PutVectorsCommand);
    expect(calls.map((call) => call.args[0].input.vectors?.length)).toEqual([500, 1]);
    expect(calls[0]?.args[0].input).toMatchObject({
      vectorBucketName: 'mangaassist-dev-catalog',
      indexName: 'products',
    });
    expect(calls[1]?.args[0].input.vectors?.[0]).toEqual({
      key: 'p500',
      data: { float32: [Float32Array.from([0.6])[0], Float32Array.from([0.8])[0]] },
      metadata: { stock: 3, category: 'shonen', ageRating: '12+' },
    });
  });

  it('deletes by key, 500 a request', async () => {
    s3vectors.on(DeleteVectorsCommand).resolves({});
    await index().delete(Array.from({ length: 1001 }, (_, n) => `p${n}`));
    expect(
      s3vectors.commandCalls(DeleteVectorsCommand).map((call) => call.args[0].input.keys?.length),
    ).toEqual([500, 500, 1]);
  });

  it('queries with the filter and turns cosine distances into similarities, best first', async () => {
    s3vectors.on(QueryVectorsCommand).resolves({
      vectors: [
        { key: 'near', distance: 0.1 },
        { key: 'far', distance: 0.7 },
      ],
    });
    const hits = await index().query(Float32Array.from([1, 0]), { topK: 2, filter: { inStock: true } });
    expect(hits).toEqual([
      { id: 'near', score: expect.closeTo(0.9, 10) },
      { id: 'far', score: expect.closeTo(0.3, 10) },
    ]);
    expect(s3vectors.commandCalls(QueryVectorsCommand)[0]?.args[0].input).toEqual({
      vectorBucketName: 'mangaassist-dev-catalog',
      indexName: 'products',
      queryVector: { float32: [1, 0] },
      topK: 2,
      returnDistance: true,
      filter: { stock: { $gt: 0 } },
    });
  });

  it('asks for at most the service’s 100 neighbours, none for topK 0, and refuses a vector of another size', async () => {
    s3vectors.on(QueryVectorsCommand).resolves({ vectors: [] });
    await index().query(Float32Array.from([1, 0]), { topK: 500 });
    expect(s3vectors.commandCalls(QueryVectorsCommand)[0]?.args[0].input.topK).toBe(100);
    expect(await index().query(Float32Array.from([1, 0]), { topK: 0 })).toEqual([]);
    expect(s3vectors.commandCalls(QueryVectorsCommand)).toHaveLength(1);
    await expect(index().query(Float32Array.from([1, 0, 0]), { topK: 1 })).rejects.toThrow(
      'a query of 3 dimensions',
    );
    await expect(index().upsert([{ id: 'x', vector: Float32Array.from([1]), metadata }])).rejects.toThrow(
      'x: a vector of 1 dimensions in an index of 2',
    );
  });
});
