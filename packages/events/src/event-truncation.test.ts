import { describe, expect, it } from 'vitest';
import {
  fitEventDetail,
  maxPutEventsEntryBytes,
  putEventsEntryBytes,
  truncationMarker,
} from './event-truncation.js';
import { putEventsEntrySize } from './eventbridge/eventbridge-event-publisher.js';

const source = 'mangaassist.reviews';
const detailType = 'ReviewSubmitted';
const KiB = 1024;

function reviewDetail(review_text: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    review_id: 'review-1',
    product_id: 'manga-1',
    review_text,
    sentiment: 'negative',
    processing_stage: 'raw',
    ...overrides,
  };
}

function catalogDetail(synopsis: string, title = 'ワンピース 107'): Record<string, unknown> {
  return {
    batch_id: 'batch-1',
    product_id: 'manga-1',
    title,
    update_type: 'new_release',
    data: { author: '尾田栄一郎', synopsis },
    processing_stage: 'raw',
  };
}

/** The entry size measured independently: Buffer's UTF-8 count of the serialised detail. */
function measured(detail: unknown): number {
  return (
    14 +
    Buffer.byteLength(source, 'utf8') +
    Buffer.byteLength(detailType, 'utf8') +
    Buffer.byteLength(JSON.stringify(detail), 'utf8')
  );
}

function fitReview(detail: Record<string, unknown>, fields: string[], maxEntryBytes?: number) {
  return fitEventDetail(detail, {
    source,
    detailType,
    fields,
    ...(maxEntryBytes === undefined ? {} : { maxEntryBytes }),
  });
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('putEventsEntryBytes', () => {
  it('adds the UTF-8 bytes of source, detail type, detail and resources, and 14 for Time', () => {
    expect(putEventsEntryBytes({ source: 'a', detailType: 'bb', detail: '{"t":"漫画"}' })).toBe(1 + 2 + 14);
    expect(putEventsEntryBytes({ source: 'a', detailType: 'bb', detail: '{}', hasTime: true })).toBe(
      1 + 2 + 2 + 14,
    );
    expect(
      putEventsEntryBytes({ source: 'a', detailType: 'b', detail: '{}', resources: ['arn:x', '🎌'] }),
    ).toBe(1 + 1 + 2 + 5 + 4);
  });

  it("agrees with the EventBridge adapter's putEventsEntrySize", () => {
    const detail = JSON.stringify(reviewDetail('最高😀 "quoted" \\ text'));

    expect(putEventsEntryBytes({ source, detailType, detail, hasTime: true, resources: ['r'] })).toBe(
      putEventsEntrySize({
        Source: source,
        DetailType: detailType,
        Detail: detail,
        Time: new Date(),
        Resources: ['r'],
      }),
    );
    expect(putEventsEntryBytes({ source, detailType, detail })).toBe(
      putEventsEntrySize({ Source: source, DetailType: detailType, Detail: detail }),
    );
  });
});

describe('fitEventDetail', () => {
  it('returns a detail that fits unchanged, and the same object', () => {
    const detail = reviewDetail('面白かった');

    const fitted = fitReview(detail, ['review_text']);

    expect(fitted).toEqual({ fits: true, detail, entryBytes: measured(detail), truncated: [] });
    expect(fitted.detail).toBe(detail);
  });

  it('cuts a long text so the entry fits 256 KiB, ending it with a marker of the bytes removed', () => {
    const text = 'a'.repeat(300 * KiB);
    const detail = reviewDetail(text);

    const fitted = fitReview(detail, ['review_text']);
    const cut = fitted.detail.review_text as string;

    expect(fitted.fits).toBe(true);
    expect(fitted.entryBytes).toBe(measured(fitted.detail));
    expect(fitted.entryBytes).toBeLessThanOrEqual(maxPutEventsEntryBytes);
    const [record] = fitted.truncated;
    expect(record?.field).toBe('review_text');
    expect(cut.endsWith(truncationMarker(record?.removedBytes ?? -1))).toBe(true);
    expect(text.startsWith(cut.slice(0, -truncationMarker(record?.removedBytes ?? -1).length))).toBe(true);
  });

  it('cuts no more than needed', () => {
    const fitted = fitReview(reviewDetail('b'.repeat(300 * KiB)), ['review_text']);

    expect(fitted.entryBytes).toBeGreaterThan(maxPutEventsEntryBytes - 8);
  });

  it('writes the marker as …[truncated N bytes]', () => {
    expect(truncationMarker(12345)).toBe('…[truncated 12345 bytes]');
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    for (const unit of ['漫', '😀', 'aé漫😀']) {
      for (const maxEntryBytes of [300, 301, 302, 303]) {
        const text = unit.repeat(200);
        const fitted = fitReview(reviewDetail(text), ['review_text'], maxEntryBytes);
        const cut = fitted.detail.review_text as string;
        const kept = cut.slice(0, cut.indexOf('…[truncated'));

        expect(fitted.fits, `${unit} ${maxEntryBytes}`).toBe(true);
        expect(fitted.entryBytes).toBeLessThanOrEqual(maxEntryBytes);
        expect(loneSurrogate.test(cut), `${unit} ${maxEntryBytes}`).toBe(false);
        expect(text.startsWith(kept)).toBe(true);
        expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
      }
    }
  });

  it('counts JSON escapes of quotes, backslashes and control characters exactly', () => {
    const text = '"\\\n\u0001'.repeat(100 * KiB);

    const fitted = fitReview(reviewDetail(text), ['review_text']);

    expect(fitted.fits).toBe(true);
    expect(measured(fitted.detail)).toBe(fitted.entryBytes);
    expect(fitted.entryBytes).toBeLessThanOrEqual(maxPutEventsEntryBytes);
  });

  it('cuts nested fields by dotted path without changing the input', () => {
    const detail = catalogDetail('あらすじ'.repeat(30 * KiB));
    const before = structuredClone(detail);

    const fitted = fitReview(detail, ['data.synopsis']);

    expect(fitted.fits).toBe(true);
    expect(detail).toEqual(before);
    expect(fitted.detail.data).toMatchObject({ author: '尾田栄一郎' });
    expect((fitted.detail.data as { synopsis: string }).synopsis).toContain('…[truncated ');
    expect(fitted.detail.title).toBe('ワンピース 107');
  });

  it('cuts fields in the order given and leaves the later ones alone when the first suffices', () => {
    const detail = catalogDetail('s'.repeat(200 * KiB), 't'.repeat(100 * KiB));

    const fitted = fitReview(detail, ['title', 'data.synopsis']);

    expect(fitted.truncated.map((entry) => entry.field)).toEqual(['title']);
    expect((fitted.detail.data as { synopsis: string }).synopsis).toHaveLength(200 * KiB);
  });

  it('moves on to the next field when the first cannot absorb the excess', () => {
    const detail = catalogDetail('s'.repeat(300 * KiB), 't'.repeat(10 * KiB));

    const fitted = fitReview(detail, ['title', 'data.synopsis']);

    expect(fitted.fits).toBe(true);
    expect(fitted.truncated.map((entry) => entry.field)).toEqual(['title', 'data.synopsis']);
    expect(fitted.detail.title).toBe(truncationMarker(10 * KiB));
  });

  it('skips listed fields that are missing, not strings, or shorter than the marker', () => {
    const detail = reviewDetail('x'.repeat(300 * KiB), { rating: 5, note: 'short' });

    const fitted = fitReview(detail, ['missing', 'rating', 'data.deep', 'note', 'review_text']);

    expect(fitted.truncated.map((entry) => entry.field)).toEqual(['review_text']);
    expect(fitted.detail.note).toBe('short');
    expect(fitted.detail.rating).toBe(5);
  });

  it('reports fits: false when the fields it may not cut are too large alone', () => {
    const detail = reviewDetail('x'.repeat(10 * KiB), { other: 'y'.repeat(300 * KiB) });

    const fitted = fitReview(detail, ['review_text']);

    expect(fitted.fits).toBe(false);
    expect(fitted.entryBytes).toBeGreaterThan(maxPutEventsEntryBytes);
    expect(fitted.detail.review_text).toBe(truncationMarker(10 * KiB));
    expect(fitted.detail.other).toBe(detail.other);
  });

  it('rejects a maximum that is not a positive integer', () => {
    for (const maxEntryBytes of [0, -1, 1.5, Number.NaN]) {
      expect(
        () => fitReview(reviewDetail('x'), ['review_text'], maxEntryBytes),
        String(maxEntryBytes),
      ).toThrow(RangeError);
    }
  });

  it('throws the serialiser error for a detail that is not JSON', () => {
    expect(() => fitReview(reviewDetail('x', { big: 1n }), ['review_text'])).toThrow(TypeError);
  });
});
