/**
 * A small Redis client: one connection (TCP or TLS), RESP2, pipelined commands, `MULTI … EXEC`,
 * and the connection lifecycle of ioredis (statuses, events, background reconnection), without
 * an offline queue or retries: built for adapters that must fail fast. No dependencies.
 *
 * On ElastiCache Serverless (Valkey or Redis OSS) there is only database 0, and the keys of one
 * multi-key command (`DEL a b`, `EXISTS a b`, a `MULTI … EXEC`) must hash to one slot (a shared
 * `{hash tag}`), or Redis answers `CROSSSLOT`.
 */
import { EventEmitter } from 'node:events';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import {
  encodeCommand,
  type RedisArgument,
  RedisProtocolError,
  type RedisReply,
  RedisReplyError,
  RedisReplyParser,
} from './redis-protocol.js';

/**
 * The connection's status, as ioredis names them: `wait` (lazy, not started), `connecting`
 * (TCP/TLS), `connect` (authenticating, selecting the database), `ready` (takes commands),
 * `close` (lost), `reconnecting` (waiting to retry), `end` (closed for good, until `connect()`).
 */
export type RedisStatus = 'wait' | 'connecting' | 'connect' | 'ready' | 'close' | 'reconnecting' | 'end';

/** Any other error reply is Redis refusing one command; this one says the endpoint moved (see `RedisConnection`). */
const reconnectingReplyCodes: ReadonlySet<string> = new Set(['READONLY']);

/**
 * Commands after which Redis no longer answers each command with one reply in order (RESP2):
 * subscriptions, MONITOR, HELLO (RESP3), RESET, replies turned off, a replication stream, and
 * QUIT (`quit()` sends it).
 */
const streamChangingCommands: ReadonlySet<string> = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'MONITOR',
  'HELLO',
  'RESET',
  'SYNC',
  'PSYNC',
  'CLIENT REPLY',
  'QUIT',
]);

/** TCP keep-alive finds a peer gone while the connection is idle, when no silence timer runs. */
const keepAliveInitialDelayMs = 10_000;

/** The events of a `RedisConnection`: one per status it enters (but `wait`), and `error`. */
export type RedisConnectionEvents = {
  connecting: [];
  connect: [];
  ready: [];
  /** A failed attempt, a lost or dropped connection; emitted only while someone listens. */
  error: [error: Error];
  close: [];
  /** The next attempt starts after `delayMs`. */
  reconnecting: [delayMs: number];
  end: [];
};

/** Credentials, database and TLS; each field set here overrides what the URL says. */
export interface RedisServerOptions {
  /** The ACL user of `AUTH`; sent only with a password. */
  readonly username?: string;
  /** The password of `AUTH`: `AUTH <password>`, or `AUTH <username> <password>` with a user. */
  readonly password?: string;
  /**
   * Credentials asked for afresh before each connection's `AUTH`, in place of `username` and
   * `password`: an ElastiCache IAM authentication token lasts 15 minutes, and the server ends a
   * connection after 12 hours, so every new connection needs a new one. A rejection fails that
   * attempt, which is retried as any failed connection is.
   */
  readonly credentials?: () => Promise<{ readonly username: string; readonly password: string }>;
  /**
   * The database `SELECT`ed before the connection is ready (ElastiCache Serverless and Redis
   * Cluster have only database 0).
   * @default 0 (the URL's `/<db>`)
   */
  readonly db?: number;
  /**
   * Options of `tls.connect` (`ca`, `cert`, `key`, …); set, the connection uses TLS as a
   * `rediss://` URL does. The certificate is verified unless `rejectUnauthorized: false`.
   * @default - TLS with Node's trusted CAs for `rediss://`, no TLS for `redis://`
   */
  readonly tls?: ConnectionOptions;
}

export interface RedisConnectionOptions extends RedisServerOptions {
  /**
   * Longest wait from opening a connection to `ready` (TCP, TLS, then AUTH, SELECT and PING
   * answered) before the attempt is abandoned (an `error` event) and retried.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Longest wait for a command's reply: after it the command rejects with `RedisTimeoutError`.
   * The reply, if it comes later, is read and dropped, so the replies after it stay in order.
   * @default - no limit
   */
  readonly commandTimeoutMs?: number;
  /**
   * A connection that owes replies and receives nothing for this long is dropped (an `error`
   * event, its commands rejected) and reconnected.
   * @default - no limit
   */
  readonly socketTimeoutMs?: number;
  /**
   * The delay before reconnection attempt `attempt` (1, 2, … since the connection was last
   * `ready`, that is since Redis last answered the handshake's PING), or `null` to give up
   * (status `end`). One that throws gives up too, its error in an `error` event.
   * @default (attempt) => Math.min(attempt * 50, 2_000)
   */
  readonly retryStrategy?: (attempt: number) => number | null;
  /**
   * Whether the connection waits for `connect()` (status `wait`) instead of opening at once.
   * @default false
   */
  readonly lazyConnect?: boolean;
}

/** Where a `redis://` or `rediss://` URL points, and with which credentials and database. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  /** `?iam=<cache name>`: authenticate as the URL's user with ElastiCache IAM tokens for that cache. */
  readonly iamCacheName: string | undefined;
}

/**
 * Reads `redis[s]://[[user]:password@]host[:port][/db][?iam=<cache name>]` (an IPv6 host in
 * brackets; user and password percent-encoded). Throws `TypeError` for any other URL.
 */
export function parseRedisUrl(url: string): RedisEndpoint {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`A Redis URL starts with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new TypeError('The Redis URL has no host');
  const db = parsed.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(db)) throw new TypeError(`The path of a Redis URL is a database number, not /${db}`);
  return {
    host,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    tls: parsed.protocol === 'rediss:',
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db: Number(db),
    iamCacheName: parsed.searchParams.get('iam') ?? undefined,
  };
}

/**
 * A command was not sent (the connection is not ready: no offline queue), or its connection
 * was lost before the reply (it may or may not have run; it is never sent again).
 */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';
}

/** No reply within `commandTimeoutMs`; the command may still run. */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
}

/** What `EXEC` answers: each command's error or reply, in order; `null` for a discarded transaction. */
export type RedisTransactionResult = [error: Error | null, reply: RedisReply][] | null;

/** Commands that go to Redis inside one `MULTI … EXEC`; made by `RedisConnection.multi()`. */
export class RedisTransaction {
  private readonly commands: RedisArgument[][] = [];

  constructor(private readonly execute: (commands: RedisArgument[][]) => Promise<RedisTransactionResult>) {}

  /** Adds any command but those that `RedisConnection.call` refuses (`exec()` rejects then). */
  call(command: string, ...args: RedisArgument[]): this {
    this.commands.push([command, ...args]);
    return this;
  }

  rpush(key: string, ...values: RedisArgument[]): this {
    return this.call('RPUSH', key, ...values);
  }

  lindex(key: string, index: number): this {
    return this.call('LINDEX', key, index);
  }

  lrange(key: string, start: number, stop: number): this {
    return this.call('LRANGE', key, start, stop);
  }

  hincrby(key: string, field: string, increment: number): this {
    return this.call('HINCRBY', key, field, increment);
  }

  hincrbyfloat(key: string, field: string, increment: number): this {
    return this.call('HINCRBYFLOAT', key, field, increment);
  }

  expire(key: string, seconds: number): this {
    return this.call('EXPIRE', key, seconds);
  }

  /**
   * Sends `MULTI`, the commands and `EXEC` in one write. Resolves with `[error, reply]` per
   * command (a command that failed while running, e.g. `WRONGTYPE`, has its `RedisReplyError`
   * and the others still ran), or `null` when Redis discarded the transaction. Rejects with
   * `RedisReplyError` when Redis refused a command before running any (`EXECABORT`, with that
   * command's error in the message and as its `cause`), with `TypeError` for a command that
   * `RedisConnection.call` refuses (nothing sent), and as any command does
   * (`RedisConnectionError`, `RedisTimeoutError`).
   */
  exec(): Promise<RedisTransactionResult> {
    return this.execute(this.commands);
  }
}

/** `SET`'s expiry and condition: `EX seconds` or `PX milliseconds`, then `NX` or `XX`. */
export type RedisSetOptions = [] | ['EX' | 'PX', number] | ['EX' | 'PX', number, 'NX' | 'XX'] | ['NX' | 'XX'];

/** A command waiting for its replies, in the order the commands were written. */
interface PendingCommand {
  /** Replies still to come: one, or for a transaction those of MULTI, each command and EXEC. */
  missing: number;
  readonly replies: RedisReply[];
  /** Whether the caller has its answer: a command that timed out still waits for its replies. */
  settled: boolean;
  readonly timer: NodeJS.Timeout | undefined;
  readonly resolve: (replies: RedisReply[]) => void;
  readonly reject: (error: Error) => void;
}

const defaultRetryStrategy = (attempt: number) => Math.min(attempt * 50, 2_000);

/**
 * One connection to Redis with the lifecycle of an ioredis client (`status`, the events of
 * `RedisConnectionEvents`), made to fail fast:
 * - Ready only once Redis has answered: the handshake pipelines AUTH (with a password), SELECT
 *   (for a database other than 0) and PING, and the status becomes `ready` on PING's reply. A
 *   server that accepts connections and refuses them (`-ERR max number of clients reached`,
 *   `-LOADING`, a proxy with no backend) is a failed attempt, its reply in the `error` event,
 *   and the retries back off as for a refused connection.
 * - No offline queue: a command sent while the status is not `ready` rejects at once with
 *   `RedisConnectionError` (wait with `whenRedisReady`). Commands are pipelined: each is written
 *   at once (one write per tick) and replies are matched in order.
 * - A lost connection rejects the commands waiting for replies with `RedisConnectionError` (never
 *   sent again) and reconnects in the background per `retryStrategy`, endlessly by default;
 *   each failed attempt, and a close by the server, is an `error` event, emitted only while
 *   there is a listener. So is a connection that this client drops because it can no longer be
 *   trusted: bytes that are not RESP2, a reply no command was waiting for, silence past
 *   `socketTimeoutMs` while replies are owed, and a `READONLY` reply (after a failover the
 *   endpoint's name points at the new primary, and a new connection resolves it again).
 * - `quit()` lets the commands sent finish, then ends; `disconnect()` ends at once.
 * - The timeouts survive a frozen process (a Lambda sandbox between invocations): when one
 *   expires, the replies already received are read before it is acted on.
 *
 * Replies: bulk strings are UTF-8 strings, integers numbers, nil `null`; an error reply rejects
 * the command with `RedisReplyError`. No timer it sets keeps the process alive.
 *
 * @example
 * const redis = new RedisConnection('rediss://cache.example.internal:6379', { commandTimeoutMs: 250 });
 * redis.on('error', (error) => logger.warn('Redis', { error: error.message }));
 * await redis.set('greeting', 'こんにちは', 'EX', 60);
 */
export class RedisConnection extends EventEmitter<RedisConnectionEvents> {
  private readonly host: string;
  private readonly port: number;
  private readonly tls: ConnectionOptions | undefined;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private readonly credentials: RedisServerOptions['credentials'];
  private readonly db: number;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number | undefined;
  private readonly socketTimeoutMs: number | undefined;
  private readonly retryStrategy: (attempt: number) => number | null;

  private currentStatus: RedisStatus = 'wait';
  /** The socket of the current connection; any other socket's events are stale. */
  private socket: Socket | undefined;
  private readonly pending: PendingCommand[] = [];
  /** Set by `quit()` and `disconnect()`: a closed connection ends instead of reconnecting. */
  private closing = false;
  /** The `quit()` under way: the socket its QUIT went to, and what every caller gets. */
  private quitting: { readonly socket: Socket; readonly done: Promise<'OK'> } | undefined;
  private attempts = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Runs while replies are owed (`socketTimeoutMs`); when it expires, `silentSince` decides. */
  private silenceTimer: NodeJS.Timeout | undefined;
  /** When the current silence began: the last chunk received, or the command that ended an idle spell. */
  private silentSince = 0;

  /** Throws `TypeError` for a URL that is not `redis://` or `rediss://`, `RangeError` for a timeout that is not positive. */
  constructor(url: string, options: RedisConnectionOptions = {}) {
    super();
    const endpoint = parseRedisUrl(url);
    this.host = endpoint.host;
    this.port = endpoint.port;
    this.tls = options.tls ?? (endpoint.tls ? {} : undefined);
    this.username = options.username ?? endpoint.username;
    this.password = options.password ?? endpoint.password;
    this.credentials = options.credentials;
    this.db = options.db ?? endpoint.db;
    this.connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs) ?? 10_000;
    this.commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs);
    this.socketTimeoutMs = positive('socketTimeoutMs', options.socketTimeoutMs);
    this.retryStrategy = options.retryStrategy ?? defaultRetryStrategy;
    if (!options.lazyConnect) this.open();
  }

  get status(): RedisStatus {
    return this.currentStatus;
  }

  /**
   * Opens the connection of a lazy (`wait`) or ended (`end`) client; resolves when it is ready,
   * rejects with `RedisConnectionError` when that first attempt fails (the retries go on in the
   * background) or when the client is already connecting or connected.
   */
  connect(): Promise<void> {
    if (this.currentStatus !== 'wait' && this.currentStatus !== 'end') {
      return Promise.reject(new RedisConnectionError(`Redis is already ${this.currentStatus}`));
    }
    const ready = new Promise<void>((resolve, reject) => {
      const onReady = () => {
        this.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.off('ready', onReady);
        reject(new RedisConnectionError('The connection to Redis closed before it was ready'));
      };
      this.once('ready', onReady);
      this.once('close', onClose);
    });
    this.closing = false;
    this.attempts = 0;
    this.open();
    return ready;
  }

  /**
   * Sends `QUIT` after the commands already sent, waits for its reply or its failure (bounded by
   * `commandTimeoutMs` and `socketTimeoutMs`, when set) and ends the connection: status `end`, no
   * reconnection, no timer left. Never rejects; a client that is not ready is disconnected at
   * once. Commands sent after it reject with `RedisConnectionError`. A `quit()` while one is
   * under way shares its outcome; one that finishes after `connect()` opened a new connection
   * leaves that connection alone.
   */
  quit(): Promise<'OK'> {
    const socket = this.socket;
    if (this.quitting !== undefined && this.quitting.socket === socket) return this.quitting.done;
    if (socket === undefined || this.currentStatus !== 'ready' || this.closing) {
      this.disconnect();
      return Promise.resolve('OK');
    }
    const sent = this.send([['QUIT']], () => 'OK');
    this.closing = true;
    const done = sent
      .catch(() => {})
      .then((): 'OK' => {
        if (this.quitting?.socket === socket) this.quitting = undefined;
        if (this.socket === socket) this.disconnect();
        return 'OK';
      });
    this.quitting = { socket, done };
    return done;
  }

  /**
   * Ends the connection at once: the commands waiting for replies reject with
   * `RedisConnectionError`, the status becomes `end` (`close` and `end` events), and no
   * reconnection is attempted until `connect()`.
   */
  disconnect(): void {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (socket !== undefined) {
      socket.destroy();
      this.closed(socket);
    } else if (this.currentStatus !== 'end') {
      this.enter('end');
    }
  }

  /**
   * Sends any command; resolves with its reply as it is (see `RedisReply`). Rejects with
   * `TypeError`, sending nothing, for a command after which the replies would no longer answer
   * one command each (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, MONITOR, HELLO, RESET, CLIENT REPLY,
   * SYNC, PSYNC; QUIT: use `quit()`), and for an argument that is neither a string nor a finite
   * number.
   */
  call(command: string, ...args: RedisArgument[]): Promise<RedisReply> {
    const refused = refusedCommand([command, ...args]);
    if (refused !== undefined) return Promise.reject(refused);
    return this.command([command, ...args], (reply) => reply);
  }

  /** The value of a string key; `null` for a missing key. */
  get(key: string): Promise<string | null> {
    return this.command(['GET', key], stringOrNull);
  }

  /** `SET`; resolves `'OK'`, or `null` when an `NX`/`XX` condition kept it from setting. */
  set(key: string, value: RedisArgument, ...options: RedisSetOptions): Promise<'OK' | null> {
    return this.command(['SET', key, value, ...options], okOrNull);
  }

  /** `GETDEL` (Redis >= 6.2): the value, removed in the same step. */
  getdel(key: string): Promise<string | null> {
    return this.command(['GETDEL', key], stringOrNull);
  }

  /**
   * Resolves with the number of keys removed. On ElastiCache Serverless and Redis Cluster, keys
   * in different hash slots are refused (`CROSSSLOT`): delete them one by one, or give them a
   * shared `{hash tag}`.
   */
  del(...keys: string[]): Promise<number> {
    return this.command(['DEL', ...keys], integer);
  }

  /** Resolves with the number of the keys that exist (`CROSSSLOT` on a cluster as for `del`). */
  exists(...keys: string[]): Promise<number> {
    return this.command(['EXISTS', ...keys], integer);
  }

  /** `KEYS` (blocks Redis while it scans: for tests and tools, not request paths). */
  keys(pattern: string): Promise<string[]> {
    return this.command(['KEYS', pattern], strings);
  }

  /** Resolves 1 when the expiry was set, 0 when the key does not exist. */
  expire(key: string, seconds: number): Promise<number> {
    return this.command(['EXPIRE', key, seconds], integer);
  }

  /** Seconds to live; -1 without an expiry, -2 for a missing key. */
  ttl(key: string): Promise<number> {
    return this.command(['TTL', key], integer);
  }

  /** Milliseconds to live; -1 without an expiry, -2 for a missing key. */
  pttl(key: string): Promise<number> {
    return this.command(['PTTL', key], integer);
  }

  /** The fields of a hash; `{}` for a missing key. */
  hgetall(key: string): Promise<Record<string, string>> {
    return this.command(['HGETALL', key], fieldsOf);
  }

  /** Resolves with the new value. */
  hincrby(key: string, field: string, increment: number): Promise<number> {
    return this.command(['HINCRBY', key, field, increment], integer);
  }

  /** Resolves with the new value, as Redis writes it (`'0.1'`). */
  hincrbyfloat(key: string, field: string, increment: number): Promise<string> {
    return this.command(['HINCRBYFLOAT', key, field, increment], text);
  }

  /** Resolves with the length of the list. */
  rpush(key: string, ...values: RedisArgument[]): Promise<number> {
    return this.command(['RPUSH', key, ...values], integer);
  }

  /** The element at `index` (negative: from the end); `null` past either end. */
  lindex(key: string, index: number): Promise<string | null> {
    return this.command(['LINDEX', key, index], stringOrNull);
  }

  /** The elements from `start` to `stop`, both included (negative: from the end). */
  lrange(key: string, start: number, stop: number): Promise<string[]> {
    return this.command(['LRANGE', key, start, stop], strings);
  }

  /** Starts a transaction: chain its commands, then `exec()` (see `RedisTransaction`). */
  multi(): RedisTransaction {
    return new RedisTransaction((commands) => {
      for (const command of commands) {
        const refused = refusedCommand(command);
        if (refused !== undefined) return Promise.reject(refused);
      }
      return this.send([['MULTI'], ...commands, ['EXEC']], execResult);
    });
  }

  private command<T>(args: RedisArgument[], decode: (reply: RedisReply) => T): Promise<T> {
    return this.send([args], (replies) => {
      const [reply = null] = replies;
      if (reply instanceof RedisReplyError) throw reply;
      return decode(reply);
    });
  }

  /**
   * Writes the commands and resolves with `decode` of their replies (rejects with what it
   * throws). The connection handshake sends while the status is `connect`, all others only
   * while it is `ready`.
   */
  private send<T>(
    commands: readonly (readonly RedisArgument[])[],
    decode: (replies: RedisReply[]) => T,
    whileStatus: RedisStatus = 'ready',
  ): Promise<T> {
    const socket = this.socket;
    if (socket === undefined || this.currentStatus !== whileStatus || this.closing) {
      const status = this.closing ? 'closing' : this.currentStatus;
      return Promise.reject(
        new RedisConnectionError(
          `Redis is not ready (${status}); commands are not queued while disconnected`,
        ),
      );
    }
    // Encoded before anything waits for a reply: a command that cannot be written must leave
    // no entry behind, or every later reply would go to the command before its own.
    let encoded: string;
    try {
      encoded = commands.map(encodeCommand).join('');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.commandTimeoutMs;
      const command: PendingCommand = {
        missing: commands.length,
        replies: [],
        settled: false,
        timer:
          timeoutMs === undefined
            ? undefined
            : timeoutAfterReads(() => {
                if (command.settled) return;
                command.settled = true;
                reject(new RedisTimeoutError(`Redis did not reply within ${timeoutMs} ms`));
              }, timeoutMs),
        resolve: (replies) => {
          try {
            resolve(decode(replies));
          } catch (error) {
            reject(error);
          }
        },
        reject,
      };
      this.pending.push(command);
      // Corked until the end of the tick: concurrent commands leave in one write.
      if (!socket.writableCorked) {
        socket.cork();
        process.nextTick(() => socket.uncork());
      }
      socket.write(encoded);
      if (this.silenceTimer === undefined && this.socketTimeoutMs !== undefined) {
        this.silentSince = performance.now();
        this.watchSilence(socket, this.socketTimeoutMs);
      }
    });
  }

  private open(): void {
    this.enter('connecting');
    const { host, port, tls } = this;
    const socket =
      tls === undefined
        ? connectTcp({ host, port })
        : // SNI carries a host name only (RFC 6066), never an IP address.
          connectTls({ ...(isIP(host) === 0 ? { servername: host } : {}), ...tls, host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveInitialDelayMs);
    const parser = new RedisReplyParser((reply) => this.received(socket, reply));
    const connectTimer = timeoutAfterReads(() => {
      if (connectTimer !== this.connectTimer) return;
      this.abandon(
        socket,
        new RedisConnectionError(`No connection to Redis within ${this.connectTimeoutMs} ms`),
      );
    }, this.connectTimeoutMs);
    this.connectTimer = connectTimer;
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      this.handshake(socket).catch((error: unknown) => this.abandon(socket, asError(error)));
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      try {
        parser.feed(chunk);
      } catch (error) {
        this.abandon(socket, asError(error));
        return;
      }
      this.heardFrom();
    });
    socket.on('error', (error) => {
      if (socket === this.socket) this.emitError(error);
    });
    socket.once('close', (hadError) => {
      // A close with no socket error is the server's doing (FIN): a failure all the same.
      if (!hadError && socket === this.socket && !this.closing) {
        const when = this.currentStatus === 'ready' ? '' : ' before it was ready';
        this.emitError(new RedisConnectionError(`Redis closed the connection${when}`));
      }
      this.closed(socket);
    });
  }

  /** AUTH and SELECT when needed, and always PING, pipelined; `ready` on their replies. */
  private async handshake(socket: Socket): Promise<void> {
    if (socket !== this.socket) return;
    this.enter('connect');
    const steps: Promise<unknown>[] = [];
    const { db } = this;
    const { username, password }: { username?: string | undefined; password?: string | undefined } = this
      .credentials
      ? await this.credentials()
      : { username: this.username, password: this.password };
    if (socket !== this.socket) return;
    if (password) {
      const auth = username === undefined ? ['AUTH', password] : ['AUTH', username, password];
      steps.push(this.send([auth], setupReply('OK'), 'connect'));
    }
    if (db !== 0) steps.push(this.send([['SELECT', db]], setupReply('OK'), 'connect'));
    // Always one round trip: a server may accept a connection only to refuse it (maxclients,
    // LOADING, NOAUTH, a proxy with no backend), and such a connection must never be ready.
    steps.push(this.send([['PING']], setupReply('PONG'), 'connect'));
    await Promise.all(steps);
    if (socket !== this.socket || this.currentStatus !== 'connect') return;
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    // Only a connection Redis answered counts as a success: the retries start over.
    this.attempts = 0;
    this.enter('ready');
  }

  private received(socket: Socket, reply: RedisReply): void {
    if (socket !== this.socket) return;
    const command = this.pending[0];
    if (command === undefined) {
      const unexpected = `Redis sent a reply that no command was waiting for: ${preview(reply)}`;
      this.abandon(socket, new RedisProtocolError(unexpected));
      return;
    }
    command.replies.push(reply);
    command.missing--;
    if (command.missing === 0) {
      this.pending.shift();
      clearTimeout(command.timer);
      if (!command.settled) {
        command.settled = true;
        command.resolve(command.replies);
      }
    }
    if (reply instanceof RedisReplyError && reconnectingReplyCodes.has(reply.code)) {
      const error = `Redis answered ${reply.message}; reconnecting, to reach the primary again`;
      this.abandon(socket, new RedisConnectionError(error, { cause: reply }));
    }
  }

  private heardFrom(): void {
    this.silentSince = performance.now();
    if (this.pending.length > 0 || this.silenceTimer === undefined) return;
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }

  private watchSilence(socket: Socket, delayMs: number): void {
    const timer = timeoutAfterReads(() => this.checkSilence(socket, timer), delayMs);
    this.silenceTimer = timer;
  }

  private checkSilence(socket: Socket, timer: NodeJS.Timeout): void {
    const timeoutMs = this.socketTimeoutMs;
    if (socket !== this.socket || timer !== this.silenceTimer || timeoutMs === undefined) return;
    this.silenceTimer = undefined;
    if (this.pending.length === 0) return;
    const silentMs = performance.now() - this.silentSince;
    if (silentMs < timeoutMs) {
      this.watchSilence(socket, timeoutMs - silentMs);
      return;
    }
    const owed = this.pending.length === 1 ? '1 reply' : `${this.pending.length} replies`;
    const error = `No data from Redis for ${timeoutMs} ms while it owed ${owed}`;
    this.abandon(socket, new RedisConnectionError(error));
  }

  /** Drops a connection that cannot be trusted any more, and reconnects. */
  private abandon(socket: Socket, error: Error): void {
    if (socket !== this.socket) return;
    this.emitError(error);
    socket.destroy();
    this.closed(socket);
  }

  /** Once per socket: fails what waits on it, then ends or schedules the next attempt. */
  private closed(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    for (const command of this.pending.splice(0)) {
      clearTimeout(command.timer);
      if (command.settled) continue;
      command.settled = true;
      command.reject(
        new RedisConnectionError('The connection to Redis closed before the reply; the command may have run'),
      );
    }
    this.enter('close');
    // A `close` listener may have ended or reopened the connection already.
    if (this.currentStatus !== 'close') return;
    const delayMs = this.closing ? null : this.nextDelay();
    if (delayMs === null) {
      this.enter('end');
      return;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delayMs).unref();
    this.currentStatus = 'reconnecting';
    this.emit('reconnecting', delayMs);
  }

  /** `retryStrategy`'s delay before the next attempt; `null` (give up) when it throws. */
  private nextDelay(): number | null {
    try {
      return this.retryStrategy(++this.attempts);
    } catch (error) {
      const message = `The retry strategy failed, so the connection ends: ${asError(error).message}`;
      this.emitError(new RedisConnectionError(message, { cause: error }));
      return null;
    }
  }

  private enter(status: Exclude<RedisStatus, 'wait' | 'reconnecting'>): void {
    this.currentStatus = status;
    this.emit(status);
  }

  /** An `error` event with no listener would throw: the status and the failed commands tell it anyway. */
  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`);
  return value;
}

/**
 * A timer (that keeps no process alive) whose `callback` runs only after the data already
 * received has been read: after a freeze (a Lambda sandbox between invocations) expired timers
 * run before the sockets are read, and a reply that arrived in time must count as in time.
 */
function timeoutAfterReads(callback: () => void, delayMs: number): NodeJS.Timeout {
  return setTimeout(() => setImmediate(callback), delayMs).unref();
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A `TypeError` for a command that `call()` must not send, else `undefined`. */
function refusedCommand(args: readonly RedisArgument[]): TypeError | undefined {
  const [name = '', subcommand = ''] = args.map((arg) => (typeof arg === 'string' ? arg.toUpperCase() : ''));
  const command = name === 'CLIENT' ? `CLIENT ${subcommand}` : name;
  if (!streamChangingCommands.has(command)) return undefined;
  const instead = command === 'QUIT' ? ' (use quit())' : '';
  return new TypeError(
    `${command} changes how Redis replies on this connection and would put every later reply out of step; it is not sent${instead}`,
  );
}

/** Decodes a reply of the handshake: `expected`, or the connection is refused. */
function setupReply(expected: string): (replies: RedisReply[]) => void {
  return ([reply]) => {
    if (reply instanceof RedisReplyError) {
      throw new RedisConnectionError(`Redis refused the connection setup: ${reply.message}`, {
        cause: reply,
      });
    }
    if (reply !== expected) throw unexpected(reply ?? null, expected);
  };
}

/** A reply as an error message shows it: an error reply's text, any other reply as JSON, cut short. */
function preview(reply: RedisReply): string {
  const text = reply instanceof RedisReplyError ? reply.message : JSON.stringify(reply);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function unexpected(reply: RedisReply, expected: string): RedisProtocolError {
  return new RedisProtocolError(`Expected ${expected} from Redis, got ${JSON.stringify(reply)}`);
}

function stringOrNull(reply: RedisReply): string | null {
  if (reply === null || typeof reply === 'string') return reply;
  throw unexpected(reply, 'a string or nil');
}

function text(reply: RedisReply): string {
  if (typeof reply === 'string') return reply;
  throw unexpected(reply, 'a string');
}

function integer(reply: RedisReply): number {
  if (typeof reply === 'number') return reply;
  throw unexpected(reply, 'an integer');
}

function okOrNull(reply: RedisReply): 'OK' | null {
  if (reply === 'OK' || reply === null) return reply;
  throw unexpected(reply, 'OK or nil');
}

function strings(reply: RedisReply): string[] {
  if (Array.isArray(reply) && reply.every((item): item is string => typeof item === 'string')) return reply;
  throw unexpected(reply, 'an array of strings');
}

function fieldsOf(reply: RedisReply): Record<string, string> {
  const flat = strings(reply);
  const entries: [string, string][] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) {
    entries.push([flat[index] ?? '', flat[index + 1] ?? '']);
  }
  // fromEntries defines own properties: a field named `__proto__` stays a field.
  return Object.fromEntries(entries);
}

/** MULTI's reply, one per command (QUEUED or the error that refused it), then EXEC's. */
function execResult(replies: RedisReply[]): RedisTransactionResult {
  const exec = replies.at(-1) ?? null;
  if (exec instanceof RedisReplyError) {
    const refused = replies.slice(0, -1).find((reply) => reply instanceof RedisReplyError);
    const message =
      refused instanceof RedisReplyError ? `${exec.message} (${refused.message})` : exec.message;
    throw new RedisReplyError(message, { cause: refused });
  }
  if (exec === null) return null;
  if (!Array.isArray(exec)) throw unexpected(exec, "EXEC's array of replies");
  return exec.map((reply) => (reply instanceof RedisReplyError ? [reply, null] : [null, reply]));
}
