// The public surface of @mangaassist/fm-gateway/redis.

export { RedisResponseCache } from './redis-response-cache.js';
