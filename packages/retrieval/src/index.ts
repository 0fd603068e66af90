// The public surface of @mangaassist/retrieval.

export {
  type CatalogProduct,
  matchesFilter,
  type ProductFilter,
  productSearchText,
} from './catalog/catalog-product.js';
export { completeIsbn13, isbn13CheckDigit, isValidIsbn13 } from './catalog/isbn.js';
export { namesProduct } from './catalog/product-names.js';
export { sampleCatalog } from './catalog/sample-catalog.js';
export {
  type AgeRating,
  type Category,
  publishers,
  type SeriesEntry,
  sampleSeries,
} from './catalog/sample-series.js';
export type { Embedder, EmbeddingPurpose } from './embedding/embedder.js';
export { dot, HashingEmbedder, hashingDimensions, hashingEmbedding } from './embedding/hashing-embedding.js';
export { type GoldKind, type GoldQuery, goldSet, notCarried } from './eval/gold-set.js';
export {
  evaluateRetrieval,
  type GoldResult,
  namedWithoutCarrying,
  type RetrievalScores,
} from './eval/retrieval-eval.js';
export {
  type ClaimKind,
  type GroundedAnswer,
  type GroundingFix,
  groundAnswer,
  sentences,
} from './grounding/grounding-guard.js';
export { MemoryVectorIndex } from './index/memory-vector-index.js';
export { TopK } from './index/top-k.js';
export type { VectorHit, VectorIndex, VectorMetadata, VectorRecord } from './index/vector-index.js';
export { type KeywordDocument, type KeywordHit, KeywordIndex } from './keyword/keyword-index.js';
export {
  CatalogSearch,
  type SearchHit,
  type SearchMode,
  type SearchOptions,
} from './search/catalog-search.js';
export { type QueryIntent, queryIntent } from './search/query-intent.js';
export { characterNgrams, searchText } from './text/search-text.js';
