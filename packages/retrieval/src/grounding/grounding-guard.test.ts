import { describe, expect, it } from 'vitest';
import type { CatalogProduct } from '../catalog/catalog-product.js';
import { sampleCatalog } from '../catalog/sample-catalog.js';
import { groundAnswer, sentences } from './grounding-guard.js';

const catalog = new Map(sampleCatalog().map((product) => [product.productId, product]));
const product = (id: string) => catalog.get(id) as CatalogProduct;
const onePiece110 = product('one-piece-110');
const onePiece1 = product('one-piece-001');
const frieren2 = product('frieren-002');

describe('sentences', () => {
  it('splits Japanese and English sentences, keeping every character', () => {
    const text = 'ONE PIECEの最新刊は110巻です。価格は¥517です！ Vol. 3 is in stock. Is it? Yes.\nThanks';
    const parts = sentences(text);
    expect(parts).toEqual([
      'ONE PIECEの最新刊は110巻です。',
      '価格は¥517です！ ',
      'Vol. 3 is in stock. ',
      'Is it? ',
      'Yes.\n',
      'Thanks',
    ]);
    expect(parts.join('')).toBe(text);
  });
});

describe('groundAnswer', () => {
  it('leaves an answer whose prices, ISBNs and volumes are all the cited products’', () => {
    const answer = `ONE PIECEの最新刊は110巻で、価格は¥${onePiece110.priceJpy}（ISBN ${onePiece110.isbn}）です。`;
    expect(groundAnswer(answer, [onePiece110])).toEqual({ text: answer, fixes: [] });
  });

  it('corrects a wrong price from the product its sentence names, in the answer’s own form', () => {
    const answer = `ワンピース110巻は${onePiece110.priceJpy + 100}円です。Frieren vol. 2 is ¥1,980.`;
    const grounded = groundAnswer(answer, [onePiece110, frieren2]);
    expect(grounded.text).toBe(
      `ワンピース110巻は${onePiece110.priceJpy}円です。Frieren vol. 2 is ¥${frieren2.priceJpy}.`,
    );
    expect(grounded.fixes).toEqual([
      {
        kind: 'price',
        claim: `${onePiece110.priceJpy + 100}円`,
        action: 'corrected',
        productId: 'one-piece-110',
      },
      { kind: 'price', claim: '¥1,980', action: 'corrected', productId: 'frieren-002' },
    ]);
  });

  it('keeps thousands separators when it rewrites a price written with them', () => {
    const akira = product('akira-001');
    expect(groundAnswer('AKIRA 1 costs ¥9,999.', [akira]).text).toBe(
      `AKIRA 1 costs ¥${akira.priceJpy.toLocaleString('en-US')}.`,
    );
  });

  it('corrects an invented ISBN, hyphens or not, and a volume no cited product has', () => {
    const grounded = groundAnswer('ONE PIECE 110巻のISBNは978-4-08-999999-1です。', [onePiece110]);
    expect(grounded.text).toBe(`ONE PIECE 110巻のISBNは${onePiece110.isbn}です。`);
    const volume = groundAnswer('The newest One Piece is volume 111.', [onePiece110]);
    expect(volume.text).toBe('The newest One Piece is volume 110.');
    expect(volume.fixes).toEqual([
      { kind: 'volume', claim: 'volume 111', action: 'corrected', productId: 'one-piece-110' },
    ]);
  });

  it('takes the volume named nearest before a claim to pick among cited volumes of one series', () => {
    const grounded = groundAnswer('ワンピースの1巻は¥999、110巻は¥888です。', [onePiece110, onePiece1]);
    expect(grounded.text).toBe(
      `ワンピースの1巻は¥${onePiece1.priceJpy}、110巻は¥${onePiece110.priceJpy}です。`,
    );
    expect(grounded.fixes.map((fix) => fix.productId)).toEqual(['one-piece-001', 'one-piece-110']);
    // No volume named: which of the two it meant is unknowable, so the sentence goes.
    expect(groundAnswer('ワンピースは¥999です。', [onePiece110, onePiece1])).toEqual({
      text: '',
      fixes: [{ kind: 'price', claim: '¥999', action: 'removed' }],
    });
  });

  it('removes a sentence whose claim belongs to no cited product it names, and keeps the rest', () => {
    const answer = `ワンピースの最新刊は110巻です。ハリー・ポッターは¥1,200です。ご利用ありがとうございます。`;
    const grounded = groundAnswer(answer, [onePiece110, frieren2]);
    expect(grounded.text).toBe('ワンピースの最新刊は110巻です。ご利用ありがとうございます。');
    expect(grounded.fixes).toEqual([{ kind: 'price', claim: '¥1,200', action: 'removed' }]);
  });

  it('removes every claimed price when nothing is cited', () => {
    const grounded = groundAnswer('Naruto 1 is ¥462. I can help with anything else.', []);
    expect(grounded.text).toBe('I can help with anything else.');
    expect(grounded.fixes).toEqual([{ kind: 'price', claim: '¥462', action: 'removed' }]);
  });

  it('attributes a sentence naming no series to the only cited product', () => {
    expect(groundAnswer('価格は600円です。', [frieren2]).text).toBe(`価格は${frieren2.priceJpy}円です。`);
  });

  it('knows a series by four characters of its title in a row', () => {
    // Both cited products are volume 2: only the name tells them apart.
    const hero = product('my-hero-academia-002');
    const grounded = groundAnswer('ヒーローの2巻は¥1,000です。', [hero, frieren2]);
    expect(grounded.text).toBe(`ヒーローの2巻は¥${hero.priceJpy}です。`);
  });

  it('does not read the digits of an ISBN as a price or a volume', () => {
    const answer = `ISBN ${onePiece110.isbn} です。`;
    expect(groundAnswer(answer, [onePiece110]).fixes).toEqual([]);
  });
});
