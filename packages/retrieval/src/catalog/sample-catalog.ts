import { fnv1a } from '../text/fnv1a.js';
import type { CatalogProduct } from './catalog-product.js';
import { completeIsbn13 } from './isbn.js';
import { publishers, type SeriesEntry, sampleSeries } from './sample-series.js';

/** ISBN item numbers each series of a publisher has: the n-th numbers its volumes from n × 200. */
const volumesPerSeries = 200;

/**
 * The sample catalog: one product per volume of `sampleSeries`, the same on every run. ISBNs are
 * made up under each publisher's real prefix, with valid check digits (the n-th series of a
 * publisher numbers its volumes from n × 200); prices rise by ¥11 every 30 volumes; about one
 * product in ten is sold out.
 */
export function sampleCatalog(series: readonly SeriesEntry[] = sampleSeries): CatalogProduct[] {
  const seriesPerPublisher = new Map<string, number>();
  return series.flatMap((entry) => {
    if (entry.volumes > volumesPerSeries) {
      throw new RangeError(
        `${entry.slug}: ${entry.volumes} volumes, more than the ${volumesPerSeries} a series has ISBNs for`,
      );
    }
    const publisher = publishers[entry.publisher];
    const ordinal = seriesPerPublisher.get(entry.publisher) ?? 0;
    seriesPerPublisher.set(entry.publisher, ordinal + 1);
    return Array.from({ length: entry.volumes }, (_, index): CatalogProduct => {
      const volume = index + 1;
      const productId = `${entry.slug}-${String(volume).padStart(3, '0')}`;
      const itemDigits = 12 - publisher.isbnPrefix.length;
      const item = String(ordinal * volumesPerSeries + volume).padStart(itemDigits, '0');
      if (item.length > itemDigits)
        throw new RangeError(`${productId}: no ISBN left under ${publisher.nameEn}`);
      const draw = fnv1a(productId);
      return {
        productId,
        seriesId: entry.slug,
        title: `${entry.title} ${volume}`,
        titleEn: `${entry.titleEn}, Vol. ${volume}`,
        series: entry.title,
        seriesReading: entry.reading,
        seriesEn: entry.titleEn,
        aliases: entry.aliases,
        author: entry.author,
        authorEn: entry.authorEn,
        publisher: publisher.name,
        volume,
        latest: volume === entry.volumes,
        isbn: completeIsbn13(`${publisher.isbnPrefix}${item}`),
        priceJpy: entry.priceJpy + 11 * Math.floor((volume - 1) / 30),
        stock: draw % 10 === 0 ? 0 : (draw % 40) + 1,
        category: entry.category,
        ageRating: entry.ageRating,
      };
    });
  });
}
