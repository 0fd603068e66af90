// The public surface of @mangaassist/commons/redis.

export {
  createRedisClient,
  type RedisClientOptions,
  RedisCommandRunner,
  type RedisCommandRunnerOptions,
  type RedisConnectionState,
  RedisOutageError,
  whenRedisReady,
} from './redis-client.js';
