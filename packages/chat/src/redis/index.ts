// The public surface of @mangaassist/chat/redis.

export { RedisFrameLog, type RedisFrameLogOptions } from './redis-frame-log.js';
