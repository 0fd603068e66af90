import type { CatalogProduct } from '../catalog/catalog-product.js';
import { namesProduct } from '../catalog/product-names.js';

/** A fact an answer states that the catalog must back. */
export type ClaimKind = 'price' | 'isbn' | 'volume';

/** What the guard did to one claim the cited products did not back. */
export interface GroundingFix {
  readonly kind: ClaimKind;
  /** The claim as the answer wrote it. */
  readonly claim: string;
  /** `corrected`: rewritten from the product the sentence is about; `removed`: its sentence dropped. */
  readonly action: 'corrected' | 'removed';
  /** The product a correction came from. */
  readonly productId?: string;
}

export interface GroundedAnswer {
  readonly text: string;
  readonly fixes: readonly GroundingFix[];
}

interface Claim {
  readonly kind: ClaimKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The value compared with the catalog: yen, ISBN digits, or a volume number. */
  readonly value: string;
}

/** How each kind of claim is written, and the value it states (yen, ISBN digits, a volume). */
const claimPatterns: readonly {
  kind: ClaimKind;
  pattern: RegExp;
  value: (match: RegExpMatchArray) => string;
}[] = [
  {
    kind: 'isbn',
    pattern: /97[89](?:[-\s]?\d){10}/gu,
    value: (match) => match[0].replace(/\D/g, ''),
  },
  {
    kind: 'price',
    pattern:
      /[¥￥]\s?(\d{1,3}(?:,\d{3})+|\d+)|(\d{1,3}(?:,\d{3})+|\d+)\s?(?:円|yen\b)|JPY\s?(\d{1,3}(?:,\d{3})+|\d+)/giu,
    value: (match) => (match[1] ?? match[2] ?? match[3] ?? '').replaceAll(',', ''),
  },
  {
    kind: 'volume',
    pattern: /第?\s?(\d{1,4})\s?巻|\bvol(?:ume)?\.?\s?(\d{1,4})\b/giu,
    value: (match) => match[1] ?? match[2] ?? '',
  },
];

function claimsIn(sentence: string): Claim[] {
  return claimPatterns
    .flatMap(({ kind, pattern, value }) =>
      [...sentence.matchAll(pattern)].map((match) => ({
        kind,
        text: match[0],
        start: match.index,
        end: match.index + match[0].length,
        value: value(match),
      })),
    )
    .sort((a, b) => a.start - b.start);
}

const abbreviations = /(?:^|[\s(])(?:vol|no|nos|mr|mrs|ms|dr|vs|etc|approx|p|pp)\.$/iu;

/**
 * The sentences of a text, each with what ends it: Japanese stops (and the closing brackets after
 * them), `!` and `?`, a `.` before a space that does not end an abbreviation (`Vol. 3`), and line
 * breaks. Joined, they are the text again.
 */
export function sentences(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let index = 0;
  const cut = (end: number) => {
    if (end > start) parts.push(text.slice(start, end));
    start = end;
  };
  while (index < text.length) {
    const character = text[index] as string;
    let end: number | undefined;
    if (
      /[。！？\n]/u.test(character) ||
      ((character === '!' || character === '?') && /\s|$/u.test(text[index + 1] ?? ''))
    ) {
      end = index + 1;
    } else if (
      character === '.' &&
      /\s/u.test(text[index + 1] ?? '') &&
      !abbreviations.test(text.slice(start, index + 1))
    ) {
      end = index + 1;
    }
    if (end === undefined) {
      index++;
      continue;
    }
    while (end < text.length && /[。！？!?」』）)\s]/u.test(text[end] as string)) end++;
    cut(end);
    index = end;
  }
  cut(text.length);
  return parts;
}

function catalogValue(product: CatalogProduct, kind: ClaimKind): string {
  if (kind === 'price') return String(product.priceJpy);
  if (kind === 'isbn') return product.isbn;
  return String(product.volume);
}

/** A claim rewritten with `product`'s value, in the claim's own form (`¥528`, `528円`, `12巻`). */
function rewrite(claim: Claim, product: CatalogProduct): string {
  const value = catalogValue(product, claim.kind);
  if (claim.kind === 'isbn') return value;
  const written =
    claim.kind === 'price' && claim.text.includes(',') ? Number(value).toLocaleString('en-US') : value;
  return claim.text.replace(/\d{1,3}(?:,\d{3})+|\d+/, written);
}

/**
 * The cited product a claim is about: of the cited products whose series its sentence names (with
 * none named, all of them), the one of the volume named nearest before the claim (else after it)
 * when they are several. Undefined when that leaves none or more than one.
 */
function productOf(
  claim: Claim,
  sentence: string,
  claims: readonly Claim[],
  cited: readonly CatalogProduct[],
): CatalogProduct | undefined {
  const named = cited.filter((product) => namesProduct(sentence, product));
  let candidates = named.length > 0 ? named : [...cited];
  if (candidates.length > 1) {
    const volumes = claims.filter((other) => other.kind === 'volume' && other !== claim);
    const before = volumes.filter((other) => other.start < claim.start).at(-1);
    const volume = before ?? volumes.find((other) => other.start > claim.start);
    if (volume !== undefined)
      candidates = candidates.filter((product) => String(product.volume) === volume.value);
  }
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Holds an answer to the catalog: every price, ISBN and volume number in it must be one of a cited
 * product's. A claim that is not is rewritten from the one product it is about (`productOf`); when
 * that product cannot be told, its sentence is removed. Each fix is reported, for the caller to
 * count.
 */
export function groundAnswer(answer: string, cited: readonly CatalogProduct[]): GroundedAnswer {
  const fixes: GroundingFix[] = [];
  const kept: string[] = [];
  for (const sentence of sentences(answer)) {
    const claims = claimsIn(sentence);
    const unbacked = claims.filter(
      (claim) => !cited.some((product) => catalogValue(product, claim.kind) === claim.value),
    );
    if (unbacked.length === 0) {
      kept.push(sentence);
      continue;
    }
    const sources = unbacked.map((claim) => productOf(claim, sentence, claims, cited));
    if (sources.some((source) => source === undefined)) {
      for (const claim of unbacked) fixes.push({ kind: claim.kind, claim: claim.text, action: 'removed' });
      continue;
    }
    let rewritten = '';
    let at = 0;
    for (const claim of claims) {
      rewritten += sentence.slice(at, claim.start);
      const source = sources[unbacked.indexOf(claim)];
      if (source !== undefined) {
        rewritten += rewrite(claim, source);
        fixes.push({ kind: claim.kind, claim: claim.text, action: 'corrected', productId: source.productId });
      } else {
        rewritten += claim.text;
      }
      at = claim.end;
    }
    kept.push(rewritten + sentence.slice(at));
  }
  return { text: kept.join('').trim(), fixes };
}
