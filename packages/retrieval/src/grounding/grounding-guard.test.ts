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

  it('removes a claim no named book backs, even with one product cited', () => {
    expect(groundAnswer('価格は600円です。', [frieren2])).toEqual({
      text: '',
      fixes: [{ kind: 'price', claim: '600円', action: 'removed' }],
    });
  });

  it('knows a series by the end of its title', () => {
    // Both cited products are volume 2: only the name tells them apart.
    const hero = product('my-hero-academia-002');
    const grounded = groundAnswer('フリーレンの2巻は¥1,000です。', [hero, frieren2]);
    expect(grounded.text).toBe(`フリーレンの2巻は¥${frieren2.priceJpy}です。`);
  });

  it('does not read the digits of an ISBN as a price or a volume', () => {
    const answer = `ISBN ${onePiece110.isbn} です。`;
    expect(groundAnswer(answer, [onePiece110]).fixes).toEqual([]);
  });

  describe('as an independent review found it', () => {
    const kaiju15 = product('kaiju-8-015');
    const onePiece2 = product('one-piece-002');
    const onePiece3 = product('one-piece-003');

    it('checks a claim against the product it is about, not any cited one', () => {
      expect(groundAnswer(`Frieren vol. 2 is ¥${onePiece110.priceJpy}.`, [onePiece110, frieren2]).text).toBe(
        `Frieren vol. 2 is ¥${frieren2.priceJpy}.`,
      );
      expect(
        groundAnswer(`フリーレン2巻のISBNは${onePiece110.isbn}です。`, [onePiece110, frieren2]).text,
      ).toBe(`フリーレン2巻のISBNは${frieren2.isbn}です。`);
      expect(groundAnswer('ONE PIECE 2巻は好評発売中です。', [onePiece110, frieren2]).text).toBe(
        'ONE PIECE 110巻は好評発売中です。',
      );
    });

    it('never lends a cited product’s facts to a sentence about another book', () => {
      const catalog = sampleCatalog();
      expect(groundAnswer('Kaiju No. 8 vol. 15 is ¥999.', [onePiece110], { catalog }).text).toBe('');
      expect(
        groundAnswer(`ONE PIECE 110 is out. 怪獣8号の15巻は999円です。`, [onePiece110], { catalog }).text,
      ).toBe('ONE PIECE 110 is out.');
      expect(groundAnswer('Dragon Quest vol. 3 costs ¥600.', [onePiece110]).text).toBe('');
      // A sentence about a cited book and another of the catalog: which figure is whose is unknowable.
      expect(
        groundAnswer('ONE PIECE 110巻と怪獣8号15巻はどちらも999円です。', [onePiece110], { catalog }).text,
      ).toBe('');
      expect(
        groundAnswer(`Kaiju No. 8 vol. 15 is ¥${kaiju15.priceJpy}.`, [kaiju15], { catalog }).fixes,
      ).toEqual([]);
    });

    it('lets a sentence that names no book state the facts of the one before it, never rewrite them', () => {
      const cited = [onePiece110, frieren2];
      const right = `ワンピースの110巻がおすすめです。価格は¥${onePiece110.priceJpy}です。`;
      expect(groundAnswer(right, cited)).toEqual({ text: right, fixes: [] });
      expect(groundAnswer('ワンピースの110巻がおすすめです。価格は¥999です。', cited).text).toBe(
        'ワンピースの110巻がおすすめです。',
      );
    });

    it('removes totals and ranges it cannot check instead of rewriting them', () => {
      const cited = [onePiece1, onePiece2, onePiece3];
      expect(groundAnswer('ONE PIECE 1〜3巻セットは1,452円です。', cited).text).toBe('');
      expect(groundAnswer(`ONE PIECE 1巻は${onePiece1.priceJpy}円なので3冊で1,452円です。`, cited).text).toBe(
        '',
      );
      expect(groundAnswer('ONE PIECEは500円〜600円です。', [onePiece110]).text).toBe('');
      expect(groundAnswer('ONE PIECE 1巻から111巻まであります。', [onePiece110, onePiece1]).text).toBe('');
    });

    it.each([
      ['ONE PIECE 110巻は５２８円です。', 'price'],
      ['ONE PIECE 110巻は１，２３４円です。', 'price'],
      ['ONE PIECE 110巻は999 JPY.', 'price'],
      ['ONE PIECE 110巻は￥999です。', 'price'],
      ['ONE PIECE 110巻のISBNは978‐4‐08‐999999‐1です。', 'isbn'],
      ['ONE PIECE 110巻のISBNは978–4–08–999999–1です。', 'isbn'],
      ['ONE PIECE 110巻のISBNは９７８４０８９９９９９９１です。', 'isbn'],
      ['ONE PIECE 110巻のISBN-10は4-08-999999-9です。', 'isbn'],
      ['ONE PIECEの111冊目が出ました。', 'volume'],
      ['ONE PIECE 百十一巻が出ました。', 'volume'],
      ['ONE PIECE 第百十一巻が出ました。', 'volume'],
      ['ONE PIECE １１１巻が出ました。', 'volume'],
    ])('sees the claim in “%s”', (answer, kind) => {
      expect(groundAnswer(answer, [onePiece110]).fixes.map((fix) => fix.kind)).toContain(kind);
    });

    it('rewrites a volume written in kanji with digits', () => {
      expect(groundAnswer('ONE PIECE 百十一巻が出ました。', [onePiece110]).text).toBe(
        'ONE PIECE 110巻が出ました。',
      );
    });

    it('leaves a number longer than an ISBN alone rather than rewriting part of it', () => {
      expect(groundAnswer('ONE PIECE 110: order 97840899999990.', [onePiece110]).text).toBe(
        'ONE PIECE 110: order 97840899999990.',
      );
    });

    it('ends a sentence at ! or ? even without a space, and at a full-width period', () => {
      expect(sentences('Sure!One Piece is ¥517?Yes．次です。')).toEqual([
        'Sure!',
        'One Piece is ¥517?',
        'Yes．',
        '次です。',
      ]);
    });
  });
});
