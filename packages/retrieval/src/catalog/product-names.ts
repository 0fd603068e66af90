import { searchText } from '../text/search-text.js';
import type { CatalogProduct } from './catalog-product.js';

/** English words that name no book: a question's other words are compared with titles and authors. */
const stopWords = new Set(
  'the and for with you have any book books manga comic comics volume latest newest last final price much does what which who can buy sell sold stock want read reading start from series about one'.split(
    ' ',
  ),
);

/** The words of four letters or more of a text, lower case, stop words left out. */
function latinWords(text: string): Set<string> {
  return new Set(
    (
      text
        .normalize('NFKC')
        .toLowerCase()
        .match(/[a-z][a-z0-9']{3,}/gu) ?? []
    )
      .map((word) => word.replace(/'s$/u, ''))
      .filter((word) => !stopWords.has(word)),
  );
}

/** The longest run of characters `a` and `b` share that holds a character outside ASCII. */
function longestSharedRun(a: string, b: string): number {
  let longest = 0;
  const previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      previous[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : 0;
      const run = previous[j] as number;
      if (run > longest && /[^ -~]/u.test(a.slice(i - run, i))) longest = run;
      diagonal = above;
    }
  }
  return longest;
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
 * or more), four characters of a Japanese name in a row (`フリーレン` for `葬送のフリーレン`), or a
 * word of its English title that is not a stop word. With `authors`, its authors count too.
 */
export function namesProduct(
  text: string,
  product: CatalogProduct,
  options: { readonly authors?: boolean } = {},
): boolean {
  const key = searchText(text);
  const names = [
    ...seriesNames(product),
    ...(options.authors ? [product.author, product.authorEn, ...product.author.split('・')] : []),
  ];
  if (names.map(searchText).some((name) => name.length >= 2 && key.includes(name))) return true;
  if ([product.series, product.seriesReading].some((name) => longestSharedRun(key, searchText(name)) >= 4))
    return true;
  const words = latinWords(text);
  const theirs = [product.seriesEn, ...product.aliases, ...(options.authors ? [product.authorEn] : [])];
  return theirs.some((name) => [...latinWords(name)].some((word) => words.has(word)));
}
