import { searchText } from '../text/search-text.js';
import type { CatalogProduct } from './catalog-product.js';

/** English words that name no book: a question's other words are compared with titles and authors. */
const stopWords = new Set(
  'the and for with you have any book books manga comic comics volume latest newest last final price much does what which who can buy sell sold stock want read reading start from series about one'.split(
    ' ',
  ),
);

/** The words of three letters or more of a text, lower case, stop words left out. */
function latinWords(text: string): Set<string> {
  return new Set(
    (
      text
        .normalize('NFKC')
        .toLowerCase()
        .match(/[a-z][a-z0-9']{2,}/gu) ?? []
    )
      .map((word) => word.replace(/'s$/u, ''))
      .filter((word) => !stopWords.has(word)),
  );
}

/**
 * The longest run of characters `a` and `b` share that holds a character outside ASCII, and where
 * it ends in `b`.
 */
function longestSharedRun(a: string, b: string): { length: number; end: number } {
  let longest = 0;
  let end = 0;
  const previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      previous[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : 0;
      const run = previous[j] as number;
      if (run > longest && /[^ -~]/u.test(a.slice(i - run, i))) {
        longest = run;
        end = j;
      }
      diagonal = above;
    }
  }
  return { length: longest, end };
}

/** The series' names: titles, reading, the English title and its part before a colon or bracket, aliases. */
function seriesNames(product: CatalogProduct): string[] {
  return [
    product.series,
    product.seriesReading,
    product.seriesEn,
    ...product.seriesEn.split(/[:(),]/u),
    ...product.aliases,
  ];
}

/**
 * Whether a text names `product`'s series: one of its names whole (as `searchText`, two characters
 * or more); a run of Japanese characters shared with its title or reading that ends it (five or
 * more) or covers most of it (four or more) (`フリーレン` for `葬送のフリーレン`, but not `ドラゴン` of `ドラゴンクエスト`
 * for `ドラゴンボール`); or every word of its English title, or of the part before a colon or
 * bracket (`Frieren`, but not `Dragon Quest` for `Dragon Ball`). With `authors`, its authors count
 * too, whole or by every word of their English name.
 */
export function namesProduct(
  text: string,
  product: CatalogProduct,
  options: { readonly authors?: boolean } = {},
): boolean {
  const key = searchText(text);
  const authors = options.authors ? [product.author, product.authorEn, ...product.author.split('・')] : [];
  if (
    [...seriesNames(product), ...authors]
      .map(searchText)
      .some((name) => name.length >= 2 && key.includes(name))
  )
    return true;
  for (const name of [product.series, product.seriesReading].map(searchText)) {
    const { length, end } = longestSharedRun(key, name);
    if ((length >= 5 && end === name.length) || (length >= 4 && length >= 0.6 * name.length)) return true;
  }
  const words = latinWords(text);
  const titles = [
    product.seriesEn,
    ...product.seriesEn.split(/[:(),]/u),
    ...product.aliases,
    ...(options.authors ? [product.authorEn] : []),
  ];
  return titles.some((title) => {
    const theirs = [...latinWords(title)];
    return theirs.length > 0 && theirs.every((word) => words.has(word));
  });
}
