// The public surface of @mangaassist/commons/redis.

export {
  type AwsCredentials,
  type ElasticacheIamAuthOptions,
  elasticacheIamAuth,
} from './elasticache-iam-auth.js';
export {
  createRedisClient,
  type RedisClientOptions,
  RedisCommandRunner,
  type RedisCommandRunnerOptions,
  type RedisConnectionState,
  RedisOutageError,
  whenRedisReady,
} from './redis-client.js';
export {
  RedisConnection,
  RedisConnectionError,
  type RedisConnectionEvents,
  type RedisConnectionOptions,
  type RedisServerOptions,
  type RedisSetOptions,
  type RedisStatus,
  RedisTimeoutError,
  RedisTransaction,
  type RedisTransactionResult,
} from './redis-connection.js';
export {
  type RedisArgument,
  RedisProtocolError,
  type RedisReply,
  RedisReplyError,
} from './redis-protocol.js';
