// The public surface of @mangaassist/commons/redis.

export {
  createRedisClient,
  type RedisClientOptions,
  RedisCommandRunner,
  type RedisConnectionState,
  whenRedisReady,
} from './redis-client.js';
