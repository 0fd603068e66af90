import type { CatalogProduct } from '../catalog/catalog-product.js';
import { namesProduct } from '../catalog/product-names.js';
import { foldWidth, kanjiNumber } from '../text/numbers.js';

/** A fact an answer states that the catalog must back. */
export type ClaimKind = 'price' | 'isbn' | 'volume';

/** What the guard did to one claim the cited products did not back. */
export interface GroundingFix {
  readonly kind: ClaimKind;
  /** The claim as the answer wrote it. */
  readonly claim: string;
  /** `corrected`: rewritten from the product it is about; `removed`: its sentence dropped. */
  readonly action: 'corrected' | 'removed';
  /** The product a correction came from. */
  readonly productId?: string;
}

export interface GroundedAnswer {
  readonly text: string;
  readonly fixes: readonly GroundingFix[];
}

export interface GroundingOptions {
  /**
   * The store's catalog (or one product of each series): a sentence naming a series of it that no
   * cited product belongs to is about a book the answer has no facts for, and goes if it claims any.
   * @default - only cited products are known
   */
  readonly catalog?: Iterable<CatalogProduct>;
}

interface Claim {
  readonly kind: ClaimKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The value compared with the catalog: yen, ISBN digits, or a volume number. */
  readonly value: string;
}

const separators = '[-\\s\u2010\u2011\u2012\u2013\u2014]';
const amount = '(\\d{1,3}(?:,\\d{3})+|\\d+)';
const kanjiDigits = '[〇一二三四五六七八九十百千]';

/** How each kind of claim is written (in the width-folded text), and the value it states. */
const claimPatterns: readonly {
  kind: ClaimKind;
  pattern: RegExp;
  value: (match: RegExpMatchArray) => string;
}[] = [
  {
    kind: 'isbn',
    pattern: new RegExp(`(?<![\\d])97[89](?:${separators}?\\d){10}(?![\\d])`, 'gu'),
    value: (match) => match[0].replace(/\D/gu, ''),
  },
  {
    // An ISBN-10 only where it says so: ten digits alone are too often something else.
    kind: 'isbn',
    pattern: new RegExp(
      `(?<=ISBN(?:-?10)?[:：\\s]*(?:は|is)?\\s*)(?<![\\d])\\d(?:${separators}?\\d){8}${separators}?[\\dX](?![\\dX])`,
      'giu',
    ),
    value: (match) => match[0].replace(/[^\dX]/giu, ''),
  },
  {
    kind: 'price',
    pattern: new RegExp(`¥\\s?${amount}|${amount}\\s?(?:円|yen\\b|JPY\\b)|JPY\\s?${amount}`, 'giu'),
    value: (match) => (match[1] ?? match[2] ?? match[3] ?? '').replaceAll(',', ''),
  },
  {
    kind: 'volume',
    pattern: new RegExp(
      `第?\\s?(?<![\\d])(\\d{1,4})\\s?(?:巻|冊目)|第?(?<!${kanjiDigits})(${kanjiDigits}{1,5})巻|\\bvol(?:ume)?s?\\.?\\s?(\\d{1,4})\\b`,
      'giu',
    ),
    value: (match) => {
      const kanji = match[2];
      return kanji === undefined ? (match[1] ?? match[3] ?? '') : String(kanjiNumber(kanji) ?? '');
    },
  },
];

function claimsIn(sentence: string): Claim[] {
  const folded = foldWidth(sentence);
  return claimPatterns
    .flatMap(({ kind, pattern, value }) =>
      [...folded.matchAll(pattern)].map((match) => ({
        kind,
        text: sentence.slice(match.index, match.index + match[0].length),
        start: match.index,
        end: match.index + match[0].length,
        value: value(match),
      })),
    )
    .sort((a, b) => a.start - b.start);
}

/** Words and signs of a total or a range: a figure beside them is not one product's. */
const totalOrRange =
  /[〜～]|から.*まで|合計|セット|全巻|まとめて|冊で|\d\s?[-–]\s?\d|\b(?:total|set|altogether|in all|through|to)\b/iu;

const abbreviations = /(?:^|[\s(])(?:vol|vols|no|nos|mr|mrs|ms|dr|vs|etc|approx|p|pp)\.$/iu;

/**
 * The sentences of a text, each with what ends it: Japanese stops (`。！？．` and the closing
 * brackets after them), `!` and `?`, a `.` before a space that does not end an abbreviation
 * (`Vol. 3`), and line breaks. Joined, they are the text again.
 */
export function sentences(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let index = 0;
  while (index < text.length) {
    const character = text[index] as string;
    const ends =
      /[。！？．!?\n]/u.test(character) ||
      (character === '.' &&
        /\s/u.test(text[index + 1] ?? '') &&
        !abbreviations.test(text.slice(start, index + 1)));
    if (!ends) {
      index++;
      continue;
    }
    let end = index + 1;
    while (end < text.length && /[。！？．!?」』）)\s]/u.test(text[end] as string)) end++;
    parts.push(text.slice(start, end));
    start = end;
    index = end;
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts;
}

/** The sentence, width-folded, with its ISBNs blanked: their hyphens are not ranges. */
function withoutIsbns(sentence: string, claims: readonly Claim[]): string {
  let text = foldWidth(sentence);
  for (const claim of claims) {
    if (claim.kind === 'isbn')
      text = text.slice(0, claim.start) + ' '.repeat(claim.end - claim.start) + text.slice(claim.end);
  }
  return text;
}

function catalogValue(product: CatalogProduct, kind: ClaimKind): string {
  if (kind === 'price') return String(product.priceJpy);
  if (kind === 'isbn') return product.isbn;
  return String(product.volume);
}

/** A claim rewritten with `product`'s value: the ISBN whole, a number in its place (`¥528`, `12巻`). */
function rewrite(claim: Claim, product: CatalogProduct): string {
  const value = catalogValue(product, claim.kind);
  if (claim.kind === 'isbn') return value;
  if (claim.kind === 'volume' && !/\d/u.test(foldWidth(claim.text))) return `${value}巻`;
  const written =
    claim.kind === 'price' && claim.text.includes(',') ? Number(value).toLocaleString('en-US') : value;
  return foldWidth(claim.text).replace(/\d{1,3}(?:,\d{3})+|\d+/u, written);
}

/**
 * The products a claim may be about: of `subject` (the cited products its sentence is about), those
 * of the volume named nearest before it (else after it) when the subject holds several.
 */
function candidatesFor(
  claim: Claim,
  claims: readonly Claim[],
  subject: readonly CatalogProduct[],
): CatalogProduct[] {
  if (subject.length <= 1 || claim.kind === 'volume') return [...subject];
  const volumes = claims.filter((other) => other.kind === 'volume');
  const volume =
    volumes.filter((other) => other.start < claim.start).at(-1) ??
    volumes.find((other) => other.start > claim.start);
  if (volume === undefined) return [...subject];
  return subject.filter((product) => String(product.volume) === volume.value);
}

/**
 * Holds an answer to the catalog: every price, ISBN and volume number in it must be that of the
 * cited product it is about. A sentence is about the cited products whose series it names (titles,
 * reading, short names), or, naming none, about those the sentence before was about (an ISBN of
 * any cited product stands in a sentence about none); among several volumes, a claim goes with the
 * volume named nearest before it. A claim that does not match is rewritten from that product when
 * the sentence names it and it is the only one; otherwise, or when the sentence speaks of a total
 * or a range, or names a series of `catalog` that no cited product belongs to, the sentence is
 * removed. Each fix is reported, for the caller to count.
 */
export function groundAnswer(
  answer: string,
  cited: readonly CatalogProduct[],
  options: GroundingOptions = {},
): GroundedAnswer {
  const citedSeries = new Set(cited.map((product) => product.seriesId));
  const uncitedSeries = new Map<string, CatalogProduct>();
  for (const product of options.catalog ?? []) {
    if (!citedSeries.has(product.seriesId) && !uncitedSeries.has(product.seriesId))
      uncitedSeries.set(product.seriesId, product);
  }
  const fixes: GroundingFix[] = [];
  const kept: string[] = [];
  let subject: readonly CatalogProduct[] = [];
  for (const sentence of sentences(answer)) {
    const named = cited.filter((product) => namesProduct(sentence, product));
    if (named.length > 0) subject = named;
    const claims = claimsIn(sentence);
    if (claims.length === 0) {
      kept.push(sentence);
      continue;
    }
    const aboutOther = [...uncitedSeries.values()].some((product) => namesProduct(sentence, product));
    const matches = (claim: Claim) => (product: CatalogProduct) =>
      catalogValue(product, claim.kind) === claim.value;
    const checked = claims.map((claim) => {
      const candidates = aboutOther ? [] : candidatesFor(claim, claims, subject);
      // Thirteen digits do not match by chance: an ISBN of a cited product stands where no book is named.
      const backed =
        candidates.some(matches(claim)) ||
        (claim.kind === 'isbn' && subject.length === 0 && !aboutOther && cited.some(matches(claim)));
      // Only a sentence that names its book is rewritten: one that does not may speak of another.
      const source = backed || named.length === 0 || candidates.length !== 1 ? undefined : candidates[0];
      return { claim, backed, source };
    });
    const unbacked = checked.filter(({ backed }) => !backed);
    if (unbacked.length === 0) {
      kept.push(sentence);
      continue;
    }
    if (
      totalOrRange.test(withoutIsbns(sentence, claims)) ||
      unbacked.some(({ source }) => source === undefined)
    ) {
      for (const { claim } of unbacked)
        fixes.push({ kind: claim.kind, claim: claim.text, action: 'removed' });
      continue;
    }
    let rewritten = '';
    let at = 0;
    for (const { claim, source } of checked) {
      rewritten += sentence.slice(at, claim.start);
      if (source === undefined) {
        rewritten += claim.text;
      } else {
        rewritten += rewrite(claim, source);
        fixes.push({ kind: claim.kind, claim: claim.text, action: 'corrected', productId: source.productId });
      }
      at = claim.end;
    }
    kept.push(rewritten + sentence.slice(at));
  }
  return { text: kept.join('').trim(), fixes };
}
