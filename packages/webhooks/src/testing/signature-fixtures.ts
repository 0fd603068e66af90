/** Test data for the signature scheme tests. */
import type { SignatureInput } from '../signature-scheme.js';

/** A fixed "now" (2025-06-15T15:06:40Z) so tolerance tests never depend on the clock. */
export const fixedNowSeconds = 1_750_000_000;
export const toleranceSeconds = 300;

/** A verification input at `fixedNowSeconds` with the default tolerance; override what a test is about. */
export function signatureInput(overrides: Partial<SignatureInput> = {}): SignatureInput {
  return {
    body: new TextEncoder().encode(stripeEventJson()),
    headers: {},
    secrets: [],
    nowSeconds: fixedNowSeconds,
    toleranceSeconds,
    ...overrides,
  };
}

/** A compact Stripe `checkout.session.completed` event, as Stripe sends it (pretty-printed by Stripe, but any layout works). */
export function stripeEventJson(overrides: { readonly id?: string; readonly email?: string } = {}): string {
  return JSON.stringify({
    id: overrides.id ?? 'evt_1PaymentCompleted',
    type: 'checkout.session.completed',
    created: fixedNowSeconds,
    data: {
      object: {
        id: 'cs_test_1',
        amount_total: 1980,
        currency: 'jpy',
        customer_details: { email: overrides.email ?? 'reader@example.jp' },
      },
    },
  });
}

/** A review in Japanese: multi-byte UTF-8 (3 bytes per kana/kanji, 4 for the emoji). */
export function japaneseReviewJson(): string {
  return JSON.stringify({
    review_id: 'rev_日本語_1',
    product_id: 'manga-ワンピース-108',
    rating: 5,
    review_text: '最高の一冊でした！続きが待ちきれません📚',
    language: 'ja',
  });
}

/** Bytes that are not valid UTF-8 (a lone continuation byte, an overlong form, 0xFF). */
export function invalidUtf8Bytes(): Uint8Array {
  return Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0xc0, 0xaf, 0xff, 0xfe, 0x22, 0x7d]);
}

/** A copy of the bytes with one byte changed (XOR 0x01). */
export function withChangedByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

/** The string with the character at `index` replaced by another of the same alphabet (hex or base64). */
export function withChangedCharacter(value: string, index: number): string {
  const current = value[index];
  const replacement = current === 'a' ? 'b' : 'a';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
