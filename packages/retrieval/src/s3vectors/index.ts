// The public surface of @mangaassist/retrieval/s3vectors.

export { metadataFilter, S3VectorIndex, type S3VectorIndexOptions } from './s3-vector-index.js';
