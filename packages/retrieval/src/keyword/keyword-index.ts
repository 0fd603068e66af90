import { TopK } from '../index/top-k.js';
import { characterNgrams, searchText } from '../text/search-text.js';

/** A document of the keyword index: its id and the fields it is found by, each with a weight. */
export interface KeywordDocument {
  readonly id: string;
  readonly fields: readonly { readonly text: string; readonly weight: number }[];
}

export interface KeywordHit {
  readonly id: string;
  readonly score: number;
}

/** BM25's term-frequency saturation and length normalisation, at their usual values. */
const k1 = 1.2;
const b = 0.75;

/**
 * Keyword matching for text without spaces: BM25 over the character bigrams of each field's
 * `searchText`, a gram's frequency weighted by its field's weight (grams never span two fields).
 * A query scores the documents sharing at least one of its bigrams; grams of the question around
 * the title (`の最新刊はいくら`) match nothing, or little, and weigh by their rarity.
 */
export class KeywordIndex {
  readonly #postings = new Map<string, { doc: number; frequency: number }[]>();
  readonly #lengths: number[] = [];
  readonly #ids: string[] = [];
  #totalLength = 0;

  constructor(documents: Iterable<KeywordDocument> = []) {
    for (const document of documents) this.add(document);
  }

  get size(): number {
    return this.#ids.length;
  }

  /** Adds a document; its id must be new (the index is rebuilt to change one). */
  add(document: KeywordDocument): void {
    const doc = this.#ids.length;
    const frequencies = new Map<string, number>();
    let length = 0;
    for (const field of document.fields) {
      for (const gram of characterNgrams(searchText(field.text), 2)) {
        frequencies.set(gram, (frequencies.get(gram) ?? 0) + field.weight);
        length += field.weight;
      }
    }
    for (const [gram, frequency] of frequencies) {
      let list = this.#postings.get(gram);
      if (list === undefined) {
        list = [];
        this.#postings.set(gram, list);
      }
      list.push({ doc, frequency });
    }
    this.#ids.push(document.id);
    this.#lengths.push(length);
    this.#totalLength += length;
  }

  /**
   * The `limit` best documents sharing a bigram with `query` (all of them by default), best first
   * (ties: the earlier added), of those `accept` lets through.
   */
  search(
    query: string,
    options: { readonly limit?: number; readonly accept?: (id: string) => boolean } = {},
  ): KeywordHit[] {
    const count = this.#ids.length;
    if (count === 0) return [];
    const averageLength = this.#totalLength / count || 1;
    const scores = new Float64Array(count);
    const touched: number[] = [];
    for (const gram of new Set(characterNgrams(searchText(query), 2))) {
      const list = this.#postings.get(gram);
      if (list === undefined) continue;
      const idf = Math.log(1 + (count - list.length + 0.5) / (list.length + 0.5));
      for (const { doc, frequency } of list) {
        const norm = k1 * (1 - b + (b * (this.#lengths[doc] ?? 0)) / averageLength);
        if (scores[doc] === 0) touched.push(doc);
        scores[doc] = (scores[doc] as number) + (idf * frequency * (k1 + 1)) / (frequency + norm);
      }
    }
    touched.sort((docA, docB) => docA - docB);
    const best = new TopK<number>(options.limit ?? touched.length);
    for (const doc of touched) {
      if (options.accept && !options.accept(this.#ids[doc] as string)) continue;
      best.offer(doc, scores[doc] as number);
    }
    return best.sorted().map(({ item, score }) => ({ id: this.#ids[item] as string, score }));
  }
}
