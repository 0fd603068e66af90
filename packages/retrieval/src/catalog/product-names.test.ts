import { describe, expect, it } from 'vitest';
import type { CatalogProduct } from './catalog-product.js';
import { namesProduct } from './product-names.js';
import { sampleCatalog } from './sample-catalog.js';

const catalog = new Map(sampleCatalog().map((product) => [product.productId, product]));
const product = (id: string) => catalog.get(id) as CatalogProduct;

describe('namesProduct', () => {
  it.each([
    ['ワンピースの最新刊はいくら？', 'one-piece-110'],
    ['ONE PIECE 3巻', 'one-piece-003'],
    ['フリーレンはありますか', 'frieren-001'],
    ['鬼滅の新刊', 'kimetsu-no-yaiba-023'],
    ['ヒロアカ 30巻', 'my-hero-academia-030'],
    ['Is Frieren volume 2 in stock?', 'frieren-002'],
    ['latest Kaiju No. 8', 'kaiju-8-015'],
    ['spy x family', 'spy-family-001'],
  ])('knows “%s” names %s', (question, id) => {
    expect(namesProduct(question, product(id))).toBe(true);
  });

  it('counts authors only when asked to', () => {
    expect(namesProduct('尾田栄一郎の漫画', product('one-piece-001'))).toBe(false);
    expect(namesProduct('尾田栄一郎の漫画', product('one-piece-001'), { authors: true })).toBe(true);
    expect(namesProduct('manga by Eiichiro Oda', product('one-piece-001'), { authors: true })).toBe(true);
    expect(namesProduct('大場つぐみの作品', product('death-note-001'), { authors: true })).toBe(true);
  });

  it.each([
    ['ハリー・ポッターはありますか', 'frieren-001'],
    ['週刊少年ジャンプ 最新号', '20th-century-boys-001'],
    ['Harry Potter and the Philosopher’s Stone', 'uchu-kyodai-001'],
    ['Dune by Frank Herbert', 'dungeon-meshi-001'],
    ['which one is cheaper?', 'one-piece-001'],
    ['ガンダムのプラモデル', 'kingdom-001'],
    ['ドラゴンクエスト ダイの大冒険', 'dragon-ball-001'],
    ['Dragon Quest', 'dragon-ball-001'],
    ['Black Clover', 'black-jack-001'],
    ['Blue Exorcist', 'ao-no-hako-001'],
    ['Blue Exorcist', 'blue-lock-001'],
    ['ハンター募集', 'hunter-x-hunter-001'],
    ['Golden Boy', 'golden-kamuy-001'],
    ['Space Dandy', 'uchu-kyodai-001'],
    ['Seven Seeds', 'seven-deadly-sins-001'],
    ['Death Parade', 'death-note-001'],
    ['Fullmetal Panic', 'hagaren-001'],
  ])('knows “%s” does not name %s', (question, id) => {
    expect(namesProduct(question, product(id), { authors: true })).toBe(false);
  });
});
