/**
 * The pieces every Redis adapter shares: a client built to fail fast (`createRedisClient`), the
 * wait for its connection (`whenRedisReady`) and a command runner that bounds each command,
 * remembers an outage for every adapter on the client, logs it once per interval and says when
 * Redis is reachable again (`RedisCommandRunner`).
 */

import { boundedCall, CallTimeoutError } from '../bounded-call.js';
import { type Logger, silentLogger } from '../logger.js';
import { errorMessage, RateLimitedWarning } from '../rate-limited-warning.js';
import { elasticacheIamAuth } from './elasticache-iam-auth.js';
import {
  parseRedisUrl,
  RedisConnection,
  type RedisServerOptions,
  RedisTimeoutError,
} from './redis-connection.js';
import { RedisReplyError } from './redis-protocol.js';

/**
 * Error replies that say the server behind the endpoint cannot serve now, whatever the command:
 * loading its data, a replica (a failover), no primary, a cluster moving or missing slots.
 */
const unavailableReplyCodes: ReadonlySet<string> = new Set([
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'MOVED',
  'ASK',
]);

/** Whether `error` is such a reply, or a transaction Redis refused because of one (its `cause`). */
function isUnavailableReply(error: unknown): boolean {
  if (!(error instanceof RedisReplyError)) return false;
  return unavailableReplyCodes.has(error.code) || isUnavailableReply(error.cause);
}

export interface RedisCommandRunnerOptions {
  /** The client the commands go to (its status is logged with each outage warning). */
  readonly redis: RedisConnectionState;
  /**
   * Longest wait for one command, including the wait for a connection that is still being
   * made; must be positive.
   */
  readonly commandTimeoutMs: number;
  /** Receives outage warnings and recoveries. */
  readonly logger: Logger;
  /** The current time in epoch milliseconds, for spacing out warnings. */
  readonly now: () => number;
  /** Least time between two outage warnings; each carries the failures since the previous one. */
  readonly warnIntervalMs: number;
  /** The warning logged (rate-limited) when a command fails, e.g. `'Ticket store (Redis) unavailable'`. */
  readonly outageMessage: string;
  /** The info logged once by the first command that succeeds after failures, e.g. `'Ticket store is reachable again'`. */
  readonly recoveredMessage: string;
  /**
   * How long the adapters on a client skip Redis once one of its commands found it gone (timed
   * out, or failed on a lost connection), before one command probes it again.
   * @default 1_000
   */
  readonly outageBackoffMs?: number;
}

/** Thrown instead of sending a command while its client's Redis is known to be down. */
export class RedisOutageError extends Error {
  override readonly name = 'RedisOutageError';

  constructor() {
    super('Redis is down; skipped until it answers a probe again');
  }
}

/**
 * What every runner on one client knows about its Redis being down: until when to skip it, and
 * whether a `ready` event (a reconnection) should end the outage at once.
 */
class OutageMemory {
  /** 0 while no outage is known. */
  private downUntil = 0;
  private watching = false;
  private readonly onReady = () => {
    this.watching = false;
    this.downUntil = 0;
  };

  constructor(private readonly redis: RedisConnectionState) {}

  /**
   * Whether a command may go to Redis now. Once the back-off has passed, the first command to ask
   * is the probe: the others keep skipping while it runs (it is bounded far below `backoffMs`).
   */
  admit(now: number, backoffMs: number): boolean {
    if (this.downUntil === 0) return true;
    if (now < this.downUntil) return false;
    this.downUntil = now + backoffMs;
    return true;
  }

  down(now: number, backoffMs: number): void {
    this.downUntil = now + backoffMs;
    if (this.watching) return;
    this.watching = true;
    this.redis.once('ready', this.onReady);
  }

  up(): void {
    this.downUntil = 0;
    if (!this.watching) return;
    this.watching = false;
    this.redis.removeListener('ready', this.onReady);
  }
}

const outagesByClient = new WeakMap<RedisConnectionState, OutageMemory>();

function outageMemoryOf(redis: RedisConnectionState): OutageMemory {
  let memory = outagesByClient.get(redis);
  if (!memory) {
    memory = new OutageMemory(redis);
    outagesByClient.set(redis, memory);
  }
  return memory;
}

/**
 * Runs an adapter's Redis commands so that none ever hangs: each waits for the connection
 * (`whenRedisReady`) and is sent within `commandTimeoutMs` (`boundedCall`). A failure — an error
 * reply, a closed connection, the time running out (`CallTimeoutError`) — is logged as one
 * outage warning at most once per `warnIntervalMs` and then rejected as it is, so each adapter
 * applies its own policy (a miss, or its own `*UnavailableError`); the first success after
 * failures logs `recoveredMessage` with the number of failures.
 *
 * An outage is found once per client, not once per command: when a command times out, fails
 * on a lost connection or gets an error reply that says the server cannot serve now (`LOADING`,
 * `READONLY`, `MASTERDOWN`, `TRYAGAIN`, `CLUSTERDOWN`, `MOVED`, `ASK`, also as the cause of a
 * refused transaction), every runner on the same client skips Redis for `outageBackoffMs`
 * (rejecting with `RedisOutageError` at once, nothing sent), then lets one command probe it; a
 * probe that answers — or the client's next `ready` — ends the outage. So a request that meets
 * a Redis outage pays one command timeout at most, and the requests after it nothing. Any other
 * error reply (`WRONGTYPE`, `ERR …`) is not an outage. Throws `RangeError` from the constructor when
 * `commandTimeoutMs` is not positive.
 *
 * @example
 * const commands = new RedisCommandRunner({ redis, commandTimeoutMs: 50, logger, now: Date.now,
 *   warnIntervalMs: 60_000, outageMessage: 'Cache unavailable', recoveredMessage: 'Cache is reachable again' });
 * const value = await commands.run('get', () => redis.get(key)).catch(() => undefined);
 */
export class RedisCommandRunner {
  private readonly outageWarning: RateLimitedWarning;
  private readonly outage: OutageMemory;
  private readonly outageBackoffMs: number;

  constructor(private readonly options: RedisCommandRunnerOptions) {
    const { commandTimeoutMs } = options;
    if (!(commandTimeoutMs > 0))
      throw new RangeError(`commandTimeoutMs must be positive, got ${commandTimeoutMs}`);
    this.outageWarning = new RateLimitedWarning(options.logger, options.now, options.warnIntervalMs);
    this.outage = outageMemoryOf(options.redis);
    this.outageBackoffMs = options.outageBackoffMs ?? 1_000;
  }

  /**
   * Resolves with the command's result, or rejects with its failure after logging it — at once
   * with `RedisOutageError` while the client's Redis is known to be down (see the class).
   */
  async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    const { redis, logger, now } = this.options;
    if (!this.outage.admit(now(), this.outageBackoffMs)) {
      const skipped = new RedisOutageError();
      this.outageWarning.warn(this.options.outageMessage, {
        operation,
        error: skipped.message,
        status: redis.status,
      });
      throw skipped;
    }
    try {
      // The wait for a connection being made counts against the same bound: on a cold start
      // the first command fails unless the connection is ready in time.
      const result = await boundedCall(async (signal) => {
        await whenRedisReady(redis, signal);
        return command();
      }, this.options.commandTimeoutMs);
      this.outage.up();
      const failures = this.outageWarning.recover();
      if (failures > 0) logger.info(this.options.recoveredMessage, { failures });
      return result;
    } catch (error) {
      // A timeout (this bound's or the client's own), a lost connection or a server that says it
      // cannot serve means Redis is gone; any other error reply means it answered.
      if (
        error instanceof CallTimeoutError ||
        error instanceof RedisTimeoutError ||
        isUnavailableReply(error) ||
        redis.status !== 'ready'
      )
        this.outage.down(now(), this.outageBackoffMs);
      else this.outage.up();
      this.outageWarning.warn(this.options.outageMessage, {
        operation,
        error: errorMessage(error),
        status: redis.status,
      });
      throw error;
    }
  }

  /**
   * Counts a failure that a successful round trip reported in its reply (an aborted
   * transaction, a failed command inside `MULTI … EXEC`) as part of the same outage episode.
   */
  reportFailure(operation: string, error: unknown): void {
    this.outageWarning.warn(this.options.outageMessage, { operation, error: errorMessage(error) });
  }
}

export interface RedisClientOptions {
  /** Receives connection errors (rate-limited) and reconnections. @default silentLogger */
  readonly logger?: Logger;
  /**
   * Longest wait for a connection to be ready (TCP, TLS handshake, then AUTH, SELECT and PING
   * answered) before it is abandoned and retried.
   * @default 500
   */
  readonly connectTimeoutMs?: number;
  /**
   * The client's own per-command timeout; it cleans up commands that outlive the adapter's
   * shorter race, so nothing piles up on a hung connection.
   * @default 250
   */
  readonly commandTimeoutMs?: number;
  /**
   * A connection that owes replies and receives nothing for this long is destroyed and
   * reconnected: it catches half-open sockets (failover, network partitions) long before TCP
   * keep-alive would.
   * @default 1_000
   */
  readonly socketTimeoutMs?: number;
  /**
   * Cap of the exponential reconnection backoff (100 ms, 200 ms, 400 ms, … plus less than 100 ms
   * of jitter), which starts over each time Redis has answered a connection's handshake.
   * @default 5_000
   */
  readonly maxReconnectDelayMs?: number;
  /** Credentials, database and TLS options; each field set here overrides what the URL says. */
  readonly server?: RedisServerOptions;
  /**
   * The region of an `?iam=` URL's cache, for its IAM tokens.
   * @default process.env.AWS_REGION
   */
  readonly region?: string;
}

/**
 * The `credentials` of an `?iam=<cache name>` URL: ElastiCache IAM tokens for its user, made for
 * each connection. Throws `TypeError` for such a URL without a user, or without a region.
 */
function iamCredentials(url: string, options: RedisClientOptions): Pick<RedisServerOptions, 'credentials'> {
  const { iamCacheName, username } = parseRedisUrl(url);
  if (iamCacheName === undefined) return {};
  if (iamCacheName === '') throw new TypeError('A Redis URL with ?iam= names its ElastiCache cache');
  const region = options.region ?? process.env.AWS_REGION;
  if (username === undefined) throw new TypeError('A Redis URL with ?iam= names its ElastiCache user');
  if (region === undefined) throw new TypeError('ElastiCache IAM authentication needs a region (AWS_REGION)');
  return { credentials: elasticacheIamAuth({ cacheName: iamCacheName, userId: username, region }) };
}

/**
 * Builds a `RedisConnection` configured for a cache that must never slow a request down:
 * no offline queue (a command sent while disconnected fails at once instead of waiting for
 * the connection), no retries of a failed command, short connect and command timeouts, and
 * endless background reconnection with capped backoff. An `error` listener logs connection
 * failures (at most once a minute), and `Redis connection is ready again` once it recovers — at
 * most once a minute too: a connection that drops each time it is ready (flapping) reads as one
 * outage, its warnings still spaced a minute apart, instead of a warning and a recovery per cycle.
 * The connection starts immediately: create the client during a Lambda's
 * init, outside the handler, and `quit()` it when the process shuts down. Because nothing is
 * queued, every adapter on this client must `await whenRedisReady(client, signal)` inside its
 * time bound before each command, or the commands of a new instance fail until it is ready.
 *
 * @example
 * const redis = createRedisClient('rediss://cache.example.internal:6379', { logger });
 * const withAuth = createRedisClient('rediss://redis.example.internal:6380/2', {
 *   server: { username: 'mangaassist', password: authToken, tls: { ca: privateCa } },
 * });
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisConnection {
  const logger = options.logger ?? silentLogger;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000;
  const client = new RedisConnection(url, {
    ...iamCredentials(url, options),
    ...options.server,
    connectTimeoutMs: options.connectTimeoutMs ?? 500,
    commandTimeoutMs: options.commandTimeoutMs ?? 250,
    socketTimeoutMs: options.socketTimeoutMs ?? 1_000,
    retryStrategy: (attempt) =>
      Math.min(100 * 2 ** Math.min(attempt - 1, 16), maxReconnectDelayMs) + Math.floor(Math.random() * 100),
  });
  const logIntervalMs = 60_000;
  const connectionWarning = new RateLimitedWarning(logger, Date.now, logIntervalMs);
  let recoveryLoggedAt: number | undefined;
  client.on('error', (error: unknown) => {
    connectionWarning.warn('Redis connection error; retrying in the background', {
      error: errorMessage(error),
    });
  });
  client.on('ready', () => {
    // Ending the episode lets the next warning out at once: no more often than the warnings.
    const at = Date.now();
    if (recoveryLoggedAt !== undefined && at - recoveryLoggedAt < logIntervalMs) return;
    const failures = connectionWarning.recover();
    if (failures === 0) return;
    logger.info('Redis connection is ready again', { failures });
    recoveryLoggedAt = at;
  });
  return client;
}

/** The part of a Redis client (`RedisConnection`) that `whenRedisReady` watches. */
export interface RedisConnectionState {
  /** The connection status (`RedisStatus`): `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting`, `end`. */
  readonly status: string;
  connect(): Promise<void>;
  once(event: 'ready' | 'end', listener: () => void): unknown;
  removeListener(event: 'ready' | 'end', listener: () => void): unknown;
}

/** The waiters of each client that is not ready yet, released together by one listener pair. */
const waitersByClient = new WeakMap<RedisConnectionState, ConnectionWaiters>();

interface ConnectionWaiters {
  readonly waiters: Set<() => void>;
  readonly release: () => void;
}

/**
 * Resolves when the client can take a command: at once when its status is `ready`, else on its
 * next `ready`. Call it before each command of a client made by `createRedisClient`: with no
 * offline queue, a command sent while the connection is still being made (a new Lambda
 * instance's first request, a reconnection) fails at once instead of waiting for it.
 *
 * Never rejects on its own and sets no timer: the caller bounds the wait, and passes the signal
 * of that bound (`boundedCall` hands one to its call); when the signal aborts, it rejects with
 * the signal's reason and removes everything it registered, so a command that timed out waiting
 * is never sent later and no listener is left behind. Also resolves for a client that has ended
 * (`quit`/`disconnect`), whose command then fails at once; starts the connection of a lazy client
 * that has not connected yet (`wait`). All waiters of one client share one `ready` and one `end`
 * listener, so many concurrent waits never trip Node's listener-leak warning.
 *
 * @example await boundedCall(async (signal) => { await whenRedisReady(redis, signal); return redis.get(key); }, 50);
 */
export function whenRedisReady(redis: RedisConnectionState, signal?: AbortSignal): Promise<void> {
  if (redis.status === 'ready' || redis.status === 'end') return Promise.resolve();
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (redis.status === 'wait') redis.connect().catch(() => {});
  return new Promise<void>((resolve, reject) => {
    const client = connectionWaiters(redis);
    const onAbort = () => {
      client.waiters.delete(waiter);
      if (client.waiters.size === 0) client.release();
      reject(signal?.reason);
    };
    const waiter = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    client.waiters.add(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function connectionWaiters(redis: RedisConnectionState): ConnectionWaiters {
  const existing = waitersByClient.get(redis);
  if (existing) return existing;
  const waiters = new Set<() => void>();
  const release = () => {
    redis.removeListener('ready', releaseAll);
    redis.removeListener('end', releaseAll);
    waitersByClient.delete(redis);
  };
  const releaseAll = () => {
    release();
    for (const waiter of waiters) waiter();
  };
  redis.once('ready', releaseAll);
  redis.once('end', releaseAll);
  const client = { waiters, release };
  waitersByClient.set(redis, client);
  return client;
}
