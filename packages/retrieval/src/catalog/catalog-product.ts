import type { AgeRating, Category } from './sample-series.js';

/** A product of the store's catalog, as retrieval indexes it and answers cite it. */
export interface CatalogProduct {
  /** `<series slug>-<volume, three digits>`. */
  readonly productId: string;
  /** The series' id (`one-piece`): its volumes share it. */
  readonly seriesId: string;
  /** The Japanese title with its volume (`ONE PIECE 107`). */
  readonly title: string;
  readonly titleEn: string;
  readonly series: string;
  /** The series title in katakana. */
  readonly seriesReading: string;
  readonly seriesEn: string;
  /** Short names readers use for the series (`鬼滅`). */
  readonly aliases: readonly string[];
  readonly author: string;
  readonly authorEn: string;
  readonly publisher: string;
  readonly volume: number;
  /** Whether this is the series' newest volume. */
  readonly latest: boolean;
  /** ISBN-13, digits only. */
  readonly isbn: string;
  /** Yen, tax included. */
  readonly priceJpy: number;
  /** Copies in stock; 0 is sold out. */
  readonly stock: number;
  readonly category: Category;
  readonly ageRating: AgeRating;
}

/** What a search may be limited to. */
export interface ProductFilter {
  /** Only products with copies in stock. */
  readonly inStock?: boolean;
  readonly categories?: readonly Category[];
  /** The reader's age band: only products rated for it. */
  readonly maxAgeRating?: AgeRating;
}

const ageOrder: Record<AgeRating, number> = { all: 0, '12+': 1, '15+': 2, '18+': 3 };

/** Whether `product` passes `filter` (an absent filter passes everything). */
export function matchesFilter(
  product: Pick<CatalogProduct, 'stock' | 'category' | 'ageRating'>,
  filter: ProductFilter | undefined,
): boolean {
  if (filter === undefined) return true;
  if (filter.inStock && product.stock <= 0) return false;
  if (filter.categories && !filter.categories.includes(product.category)) return false;
  if (filter.maxAgeRating && ageOrder[product.ageRating] > ageOrder[filter.maxAgeRating]) return false;
  return true;
}

/** The text a product is found by: titles, reading, series and authors in both languages. */
export function productSearchText(product: CatalogProduct): string {
  return [
    product.title,
    product.titleEn,
    product.seriesReading,
    ...product.aliases,
    product.author,
    product.authorEn,
    product.publisher,
  ].join(' ');
}
