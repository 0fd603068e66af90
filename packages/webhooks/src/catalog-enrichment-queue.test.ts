import { catalogEnrichmentMessage } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import {
  assertOneRequest,
  catalogEnrichmentFifoMessage,
  catalogEnrichmentGroupId,
  isInvalidMessageError,
  sqsSafeJson,
} from './catalog-enrichment-queue.js';

const message = (productId: string, index = 0) =>
  catalogEnrichmentMessage(
    'batch-1',
    index,
    { product_id: productId, title: 'ワンピース 1巻', update_type: 'new_release', data: {} },
    '2026-01-31T09:00:00.000Z',
  );

describe('catalogEnrichmentGroupId', () => {
  it('groups by the product id when SQS accepts it as a message group id', () => {
    expect(catalogEnrichmentGroupId('manga-00042')).toBe('manga-00042');
    expect(catalogEnrichmentGroupId('ISBN:978-4-08-883494-6')).toBe('ISBN:978-4-08-883494-6');
  });

  it('groups a product id SQS would refuse (Japanese, spaces, too long) by its SHA-256, the same every time', () => {
    for (const productId of ['ワンピース-108', 'one piece 108', 'x'.repeat(129)]) {
      const group = catalogEnrichmentGroupId(productId);
      expect(group).toMatch(/^sha256-[0-9a-f]{64}$/);
      expect(catalogEnrichmentGroupId(productId)).toBe(group);
    }
    expect(catalogEnrichmentGroupId('ワンピース-108')).not.toBe(catalogEnrichmentGroupId('ワンピース-107'));
  });

  it('never lets a product id pass for another one’s hash', () => {
    const hashed = catalogEnrichmentGroupId('ワンピース-108');
    expect(catalogEnrichmentGroupId(hashed)).not.toBe(hashed);
  });
});

describe('catalogEnrichmentFifoMessage', () => {
  it('is the message as JSON, in its product’s group', () => {
    expect(catalogEnrichmentFifoMessage(message('manga-1', 3))).toEqual({
      groupId: 'manga-1',
      body: JSON.stringify(message('manga-1', 3)),
    });
  });
});

describe('assertOneRequest', () => {
  it('refuses more than ten messages, or two of one product', () => {
    expect(() =>
      assertOneRequest(Array.from({ length: 10 }, (_, index) => message(`m-${index}`))),
    ).not.toThrow();
    expect(() => assertOneRequest(Array.from({ length: 11 }, (_, index) => message(`m-${index}`)))).toThrow(
      RangeError,
    );
    expect(() => assertOneRequest([message('m-1', 0), message('m-1', 1)])).toThrow(RangeError);
  });
});

describe('sqsSafeJson', () => {
  it('escapes U+FFFE and U+FFFF, which SQS refuses in a body, and keeps the same JSON', () => {
    const value = { title: 'ワンピース\uFFFE第1巻\uFFFF', lone: '\uD800', control: '\u0001' };
    const body = sqsSafeJson(value);
    // SQS's allowed characters: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF.
    expect(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)).toBe(false);
    expect(JSON.parse(body)).toEqual(value);
    expect(sqsSafeJson(value)).toBe(body);
  });
});

describe('isInvalidMessageError', () => {
  it('knows the codes SQS refuses a message with for what it is, and no other', () => {
    for (const code of ['InvalidMessageContents', 'InvalidParameterValue']) {
      expect(isInvalidMessageError(code), code).toBe(true);
    }
    for (const code of [
      // The whole request too long is the packing's fault (ours), not a message's.
      'BatchRequestTooLong',
      'RequestThrottled',
      'ThrottlingException',
      'InternalError',
      'NotAttempted',
      'TypeError',
    ]) {
      expect(isInvalidMessageError(code), code).toBe(false);
    }
  });
});
