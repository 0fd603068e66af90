import { describe, expect, it } from 'vitest';
import { KeywordIndex } from './keyword-index.js';

const doc = (id: string, ...texts: string[]) => ({ id, fields: texts.map((text) => ({ text, weight: 1 })) });

describe('KeywordIndex', () => {
  const index = new KeywordIndex([
    doc('one-piece', 'ONE PIECE 1', 'ワンピース'),
    doc('naruto', 'NARUTO -ナルト- 1', 'ナルト'),
    doc('frieren', '葬送のフリーレン 1', 'ソウソウノフリーレン'),
    doc('kimetsu', '鬼滅の刃 1', 'キメツノヤイバ'),
  ]);

  it('finds a title in a Japanese question, whatever the kana or width', () => {
    expect(index.search('ワンピースの最新刊はいくら？')[0]?.id).toBe('one-piece');
    expect(index.search('わんぴーす')[0]?.id).toBe('one-piece');
    expect(index.search('ＯＮＥ　ＰＩＥＣＥ')[0]?.id).toBe('one-piece');
    expect(index.search('フリーレンはありますか')[0]?.id).toBe('frieren');
  });

  it('scores only documents sharing a bigram, rare bigrams above common ones', () => {
    const hits = index.search('鬼滅');
    expect(hits.map((hit) => hit.id)).toEqual(['kimetsu']);
    // "の" bigrams are in two documents, "鬼滅" in one: the rarer match scores higher.
    const shared = index.search('の刃');
    expect(shared[0]?.id).toBe('kimetsu');
  });

  it('weighs a gram by its field’s weight', () => {
    const weighted = new KeywordIndex([
      { id: 'light', fields: [{ text: 'ドラゴン', weight: 0.5 }] },
      { id: 'heavy', fields: [{ text: 'ドラゴン', weight: 2 }] },
    ]);
    expect(weighted.search('ドラゴン').map((hit) => hit.id)).toEqual(['heavy', 'light']);
  });

  it('never forms a gram across two fields', () => {
    const split = new KeywordIndex([doc('split', 'ab', 'cd')]);
    expect(split.search('bc')).toEqual([]);
    expect(split.search('cd')[0]?.id).toBe('split');
  });

  it('finds nothing in an empty index or for a query without letters', () => {
    expect(new KeywordIndex().search('ワンピース')).toEqual([]);
    expect(index.search('？！')).toEqual([]);
  });

  it('keeps the best `limit` of the documents `accept` lets through', () => {
    const volumes = new KeywordIndex(
      Array.from({ length: 20 }, (_, n) => doc(`v${n + 1}`, `ハイキュー ${n + 1}`)),
    );
    const all = volumes.search('ハイキュー');
    expect(all).toHaveLength(20);
    expect(volumes.search('ハイキュー', { limit: 3 })).toEqual(all.slice(0, 3));
    const odd = volumes.search('ハイキュー', { limit: 2, accept: (id) => Number(id.slice(1)) % 2 === 1 });
    expect(odd.map((hit) => hit.id)).toEqual(
      all
        .filter((hit) => Number(hit.id.slice(1)) % 2 === 1)
        .slice(0, 2)
        .map((hit) => hit.id),
    );
  });

  it('ranks a short field above a long one with the same match (BM25’s length normalisation)', () => {
    const lengths = new KeywordIndex([
      doc('long', 'ドラゴン クエスト ダイの大冒険 完全版 第一部'),
      doc('short', 'ドラゴン'),
    ]);
    expect(lengths.search('ドラゴン').map((hit) => hit.id)).toEqual(['short', 'long']);
  });
});
