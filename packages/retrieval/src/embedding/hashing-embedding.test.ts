import { describe, expect, it } from 'vitest';
import { dot, HashingEmbedder, hashingDimensions, hashingEmbedding } from './hashing-embedding.js';

describe('hashingEmbedding', () => {
  it('is unit length, of the model’s size, and the same on every call', () => {
    const vector = hashingEmbedding('呪術廻戦 30巻');
    expect(vector).toHaveLength(hashingDimensions);
    expect(dot(vector, vector)).toBeCloseTo(1, 5);
    expect(hashingEmbedding('呪術廻戦 30巻')).toEqual(vector);
  });

  it('puts texts that share characters closer than texts that do not', () => {
    const query = hashingEmbedding('ワンピースの最新刊');
    const onePiece = hashingEmbedding('ONE PIECE 110 ワンピース 尾田栄一郎');
    const naruto = hashingEmbedding('NARUTO 72 ナルト 岸本斉史');
    expect(dot(query, onePiece)).toBeGreaterThan(dot(query, naruto) + 0.1);
  });

  it('treats width, case and kana variants as the same text', () => {
    expect(hashingEmbedding('ＳＰＹ×ＦＡＭＩＬＹ')).toEqual(hashingEmbedding('spy family'));
    expect(hashingEmbedding('わんぴーす')).toEqual(hashingEmbedding('ワンピース'));
  });

  it('gives a text with nothing to compare the zero vector, not NaN', () => {
    expect([...hashingEmbedding('!!!', 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('embeds a batch in order through the Embedder port', async () => {
    const embedder = new HashingEmbedder(64);
    const [first, second] = await embedder.embed(['鬼滅の刃', 'BLEACH'], 'document');
    expect(first).toEqual(hashingEmbedding('鬼滅の刃', 64));
    expect(second).toEqual(hashingEmbedding('BLEACH', 64));
  });
});
