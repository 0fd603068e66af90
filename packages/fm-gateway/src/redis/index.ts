// The public surface of @mangaassist/fm-gateway/redis.

export { decodeVector, encodeVector, RedisEmbeddingCache } from './redis-embedding-cache.js';
export { RedisResponseCache } from './redis-response-cache.js';
