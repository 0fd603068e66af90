import {
  type CatalogProduct,
  matchesFilter,
  type ProductFilter,
  productSearchText,
} from '../catalog/catalog-product.js';
import { namesProduct } from '../catalog/product-names.js';
import type { Embedder } from '../embedding/embedder.js';
import { MemoryVectorIndex } from '../index/memory-vector-index.js';
import type { VectorIndex } from '../index/vector-index.js';
import { KeywordIndex } from '../keyword/keyword-index.js';
import { searchText } from '../text/search-text.js';
import { queryIntent } from './query-intent.js';

/** Which signals rank: both fused (the default), or one alone (to measure each). */
export type SearchMode = 'hybrid' | 'vector' | 'keyword';

export interface SearchOptions {
  /** @default 5 */
  readonly topK?: number;
  readonly filter?: ProductFilter;
  /** @default 'hybrid' */
  readonly mode?: SearchMode;
}

export interface SearchHit {
  readonly product: CatalogProduct;
  /** Reciprocal-rank score: comparable within one search only. */
  readonly score: number;
  /**
   * Whether the question names the product's series or an author of it (`namesProduct`). A
   * question naming a book when no hit is named asks for one the store does not carry.
   */
  readonly named: boolean;
}

/** Candidates each signal contributes before fusion. */
const candidates = 50;
/** Reciprocal rank fusion's constant: a rank r scores 1 / (60 + r). */
const rrfConstant = 60;
/** Texts per embedding request: Cohere Embed's limit on Bedrock. */
const embeddingBatch = 96;

/**
 * Search over the store's catalog: vector similarity of the question's embedding to each
 * product's, and BM25 keyword matching on character bigrams of its titles, reading and authors,
 * fused by reciprocal rank. A question naming a volume (`100巻`, `vol. 12`) or the newest one
 * (`最新刊`, `latest`) is answered per series: each series found, in order, gives that volume first.
 */
export class CatalogSearch {
  readonly #products: ReadonlyMap<string, CatalogProduct>;
  readonly #volumes: ReadonlyMap<string, readonly CatalogProduct[]>;

  private constructor(
    products: readonly CatalogProduct[],
    private readonly embedder: Embedder,
    private readonly vectors: VectorIndex,
    private readonly keywords: KeywordIndex,
  ) {
    this.#products = new Map(products.map((product) => [product.productId, product]));
    const volumes = new Map<string, CatalogProduct[]>();
    for (const product of products)
      volumes.set(product.seriesId, [...(volumes.get(product.seriesId) ?? []), product]);
    this.#volumes = volumes;
  }

  /** Embeds every product (in batches) into `vectors` and builds the keyword index. */
  static async build(
    products: readonly CatalogProduct[],
    embedder: Embedder,
    vectors: VectorIndex = new MemoryVectorIndex(embedder.dimensions),
  ): Promise<CatalogSearch> {
    for (let start = 0; start < products.length; start += embeddingBatch) {
      const batch = products.slice(start, start + embeddingBatch);
      const embeddings = await embedder.embed(batch.map(productSearchText), 'document');
      await vectors.upsert(
        batch.map((product, index) => ({
          id: product.productId,
          vector: embeddings[index] as Float32Array,
          metadata: { stock: product.stock, category: product.category, ageRating: product.ageRating },
        })),
      );
    }
    const keywords = new KeywordIndex(
      products.map((product) => ({
        id: product.productId,
        fields: [
          { text: product.title, weight: 1 },
          { text: product.seriesReading, weight: 1 },
          { text: product.titleEn, weight: 1 },
          ...product.aliases.map((alias) => ({ text: alias, weight: 1 })),
          { text: product.author, weight: 0.5 },
          { text: product.authorEn, weight: 0.5 },
        ],
      })),
    );
    return new CatalogSearch(products, embedder, vectors, keywords);
  }

  async search(question: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const { filter, mode = 'hybrid' } = options;
    const topK = Math.max(0, Math.floor(options.topK ?? 5));
    // Nothing to compare (only symbols or emoji): every product would tie.
    if (topK === 0 || searchText(question) === '') return [];
    const scores = new Map<string, number>();
    const addRanks = (ids: readonly string[]) =>
      ids.forEach((id, rank) => {
        scores.set(id, (scores.get(id) ?? 0) + 1 / (rrfConstant + rank + 1));
      });
    if (mode !== 'keyword') {
      const [embedding] = await this.embedder.embed([question], 'query');
      const hits = await this.vectors.query(embedding as Float32Array, {
        topK: candidates,
        ...(filter ? { filter } : {}),
      });
      addRanks(hits.map((hit) => hit.id));
    }
    if (mode !== 'vector') {
      const hits = this.keywords.search(question, {
        limit: candidates,
        ...(filter ? { accept: (id: string) => this.#passes(id, filter) } : {}),
      });
      addRanks(hits.map((hit) => hit.id));
    }
    const fused = [...scores].sort(([, a], [, b]) => b - a).map(([id, score]) => ({ id, score }));
    return this.#resolveVolumes(fused, question, filter)
      .slice(0, topK)
      .flatMap(({ id, score }) => {
        const product = this.#products.get(id);
        return product ? [{ product, score, named: namesProduct(question, product, { authors: true }) }] : [];
      });
  }

  #passes(id: string, filter: ProductFilter | undefined): boolean {
    const product = this.#products.get(id);
    return product !== undefined && matchesFilter(product, filter);
  }

  /** With a volume or the newest asked for: each series found, best first, leads with that volume. */
  #resolveVolumes(
    fused: readonly { id: string; score: number }[],
    question: string,
    filter: ProductFilter | undefined,
  ): { id: string; score: number }[] {
    const intent = queryIntent(question);
    if (intent.volume === undefined && !intent.latest) return [...fused];
    const asked: { id: string; score: number }[] = [];
    const series = new Set<string>();
    for (const { id, score } of fused) {
      const seriesId = this.#products.get(id)?.seriesId;
      if (seriesId === undefined || series.has(seriesId)) continue;
      series.add(seriesId);
      const volumes = this.#volumes.get(seriesId) ?? [];
      const wanted =
        intent.volume !== undefined
          ? volumes.find((product) => product.volume === intent.volume)
          : volumes.find((product) => product.latest);
      if (wanted && matchesFilter(wanted, filter)) asked.push({ id: wanted.productId, score });
    }
    const lead = new Set(asked.map(({ id }) => id));
    return [...asked, ...fused.filter(({ id }) => !lead.has(id))];
  }
}
