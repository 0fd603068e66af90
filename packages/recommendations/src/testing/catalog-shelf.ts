import type { CatalogProduct } from '@mangaassist/consumers';

/** A catalog product for tests, titled after its id. */
export function product(productId: string, overrides: Partial<CatalogProduct> = {}): CatalogProduct {
  return { productId, title: `Title of ${productId}`, ...overrides };
}

/**
 * A small shelf: three shonen (by genre in kanji and romaji, and by tag), one shojo, one seinen,
 * and one product in no segment.
 */
export function shelf(): CatalogProduct[] {
  return [
    product('onepiece-108', { genre: '少年' }),
    product('jujutsu-28', { genre: 'Shōnen' }),
    product('naruto-72', { tags: ['少年漫画', 'ninja'] }),
    product('nana-21', { genre: 'shojo' }),
    product('vagabond-37', { genre: '青年' }),
    product('cookbook', { genre: 'cooking' }),
  ];
}
