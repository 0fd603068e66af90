/**
 * The Redis client against a real Redis (REDIS_URL, default redis://127.0.0.1:6379) and, for the
 * faults a real one will not stage, against small local servers. A missing Redis fails these
 * tests: start one with `docker run -p 6379:6379 redis:7` or `redis-server`.
 */
import { randomUUID } from 'node:crypto';
import { connect as connectTcp, createServer, type Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedPort } from '../testing/closed-port.js';
import { recordingLogger } from '../testing/recording-logger.js';
import {
  type ScriptedRedisServer,
  type ScriptedRedisServerOptions,
  scriptedRedisServer,
} from '../testing/scripted-redis-server.js';
import { selfSignedCertificate } from '../testing/self-signed-certificate.js';
import { settlesWithin } from '../testing/settles-within.js';
import { createRedisClient } from './redis-client.js';
import {
  parseRedisUrl,
  RedisConnection,
  RedisConnectionError,
  type RedisConnectionEvents,
  type RedisConnectionOptions,
  RedisTimeoutError,
} from './redis-connection.js';
import { RedisProtocolError, RedisReplyError } from './redis-protocol.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `test:redis-connection:${randomUUID()}:`;
/** Far above any healthy wait, far below the test timeout: a hang fails with a message. */
const livenessMs = 5_000;

const connections: RedisConnection[] = [];
const servers: Server[] = [];
const scripted: ScriptedRedisServer[] = [];
let redis: RedisConnection;

function key(name: string): string {
  return `${keyPrefix}${name}`;
}

/** A connection closed after the test; a generous command timeout turns a hang into a failure. */
function connectionTo(url: string, options: RedisConnectionOptions = {}): RedisConnection {
  const connection = new RedisConnection(url, { commandTimeoutMs: livenessMs, ...options });
  connections.push(connection);
  return connection;
}

/** The URL of the test Redis with another path (database) or credentials. */
function redisUrlWith(change: (url: URL) => void): string {
  const url = new URL(redisUrl);
  change(url);
  return url.toString();
}

/** Resolves on the connection's next `event`, or fails naming it. */
function nextEvent(connection: RedisConnection, event: keyof RedisConnectionEvents): Promise<void> {
  const happened = new Promise<void>((resolve) => connection.once(event, () => resolve()));
  return settlesWithin(happened, livenessMs, `the ${event} event`);
}

async function untilReady(connection: RedisConnection, what = `Redis at ${redisUrl}`): Promise<void> {
  if (connection.status === 'ready') return;
  await settlesWithin(
    new Promise<void>((resolve) => connection.once('ready', resolve)),
    livenessMs,
    `${what} (is it running? set REDIS_URL)`,
  );
}

const statusEvents: readonly (keyof RedisConnectionEvents)[] = [
  'connecting',
  'connect',
  'ready',
  'close',
  'reconnecting',
  'end',
];

/** The status events the connection emits from now on, in order. */
function recordStatuses(connection: RedisConnection): string[] {
  const seen: string[] = [];
  for (const event of statusEvents) connection.on(event, () => seen.push(event));
  return seen;
}

/** The errors the connection emits from now on (listening also keeps them from being dropped). */
function recordErrors(connection: RedisConnection): Error[] {
  const errors: Error[] = [];
  connection.on('error', (error) => errors.push(error));
  return errors;
}

async function listening(server: Server, host?: string): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/** A `scriptedRedisServer` closed after the test (PING answered unless told otherwise). */
async function scriptedServer(
  answer: (command: string[], connection: number, socket: Socket) => void,
  options?: ScriptedRedisServerOptions,
): Promise<ScriptedRedisServer> {
  const server = await scriptedRedisServer(answer, options);
  scripted.push(server);
  return server;
}

/** Resolves when the server's side of its `connection`-th connection has closed, or fails naming it. */
function serverSideClosed(server: ScriptedRedisServer, connection: number): Promise<void> {
  return settlesWithin(
    server.closed(connection),
    livenessMs,
    `the server's side of connection ${connection} closing`,
  );
}

/** Resolves after `ms` of real time: a wait past a deadline, never a measure of speed. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the event loop for `ms`, as a Lambda sandbox frozen between two invocations: no timer, no socket read runs meanwhile. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The RESP2 of a bulk string. */
function bulk(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
}

beforeAll(async () => {
  redis = connectionTo(redisUrl);
  await untilReady(redis);
});

afterEach(() => {
  for (const connection of connections.splice(1)) connection.disconnect();
  for (const server of servers.splice(0)) server.close();
  for (const server of scripted.splice(0)) server.close();
});

afterAll(async () => {
  if (redis.status === 'ready') {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  redis.disconnect();
});

describe('parseRedisUrl', () => {
  it('reads host, port, credentials and database, percent-decoded', () => {
    expect(parseRedisUrl('rediss://mangaassist:p%40ss%3Aw%C3%B6rd@cache.example.internal:6380/2')).toEqual({
      host: 'cache.example.internal',
      port: 6380,
      tls: true,
      username: 'mangaassist',
      password: 'p@ss:wörd',
      db: 2,
      iamCacheName: undefined,
    });
  });

  it('defaults to port 6379, database 0, no TLS and no credentials', () => {
    expect(parseRedisUrl('redis://localhost')).toEqual({
      host: 'localhost',
      port: 6379,
      tls: false,
      username: undefined,
      password: undefined,
      db: 0,
      iamCacheName: undefined,
    });
  });

  it('reads an IPv6 host without its brackets, and a password without a user', () => {
    expect(parseRedisUrl('redis://:secret@[::1]:6390/')).toMatchObject({
      host: '::1',
      port: 6390,
      username: undefined,
      password: 'secret',
      db: 0,
    });
  });

  it('reads the cache an IAM-authenticated URL names, beside its user', () => {
    expect(
      parseRedisUrl('rediss://mangaassist-prod-app@cache.example.internal:6379?iam=mangaassist-prod'),
    ).toMatchObject({
      username: 'mangaassist-prod-app',
      password: undefined,
      iamCacheName: 'mangaassist-prod',
    });
  });

  it('refuses another scheme, a missing host and a path that is not a database number', () => {
    expect(() => parseRedisUrl('http://localhost:6379')).toThrow(TypeError);
    expect(() => parseRedisUrl('redis:///1')).toThrow(TypeError);
    expect(() => parseRedisUrl('redis://localhost/cache')).toThrow(TypeError);
    expect(() => parseRedisUrl('not a url')).toThrow(TypeError);
  });
});

describe('RedisConnection commands on a real Redis', () => {
  it('stores and reads back strings byte for byte: UTF-8, CRLF inside, empty, and larger than a TCP chunk', async () => {
    const values = { japanese: '漫画の新刊🎌\r\n第2巻', empty: '', large: 'ページ'.repeat(100_000) };
    for (const [name, value] of Object.entries(values)) {
      expect(await redis.set(key(name), value)).toBe('OK');
      expect(await redis.get(key(name))).toBe(value);
    }
  });

  it('answers null for a missing key', async () => {
    expect(await redis.get(key('missing'))).toBeNull();
    expect(await redis.getdel(key('missing'))).toBeNull();
  });

  it('sets with an expiry in seconds or milliseconds', async () => {
    await redis.set(key('px'), 'v', 'PX', 60_000);
    await redis.set(key('ex'), 'v', 'EX', 60);
    const pttl = await redis.pttl(key('px'));
    const ttl = await redis.ttl(key('ex'));
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('sets with NX only when the key is missing, answering null otherwise', async () => {
    expect(await redis.set(key('nx'), 'first', 'EX', 60, 'NX')).toBe('OK');
    expect(await redis.set(key('nx'), 'second', 'EX', 60, 'NX')).toBeNull();
    expect(await redis.set(key('nx'), 'third', 'NX')).toBeNull();
    expect(await redis.get(key('nx'))).toBe('first');
  });

  it('gets and deletes a value in one step, once', async () => {
    await redis.set(key('getdel'), 'manga-store');
    expect(await redis.getdel(key('getdel'))).toBe('manga-store');
    expect(await redis.getdel(key('getdel'))).toBeNull();
  });

  it('counts the keys it deletes and the keys that exist, and lists keys by pattern', async () => {
    await redis.set(key('counted:1'), '1');
    await redis.set(key('counted:2'), '2');
    expect(await redis.keys(key('counted:*'))).toEqual(
      expect.arrayContaining([key('counted:1'), key('counted:2')]),
    );
    expect(await redis.exists(key('counted:1'), key('counted:2'), key('counted:3'))).toBe(2);
    expect(await redis.del(key('counted:1'), key('counted:2'), key('counted:3'))).toBe(2);
    expect(await redis.exists(key('counted:1'))).toBe(0);
  });

  it('sets an expiry and reads it, -1 for a key without one and -2 for a missing key', async () => {
    await redis.set(key('expire'), 'v');
    expect(await redis.ttl(key('expire'))).toBe(-1);
    expect(await redis.expire(key('expire'), 120)).toBe(1);
    expect(await redis.ttl(key('expire'))).toBeGreaterThan(100);
    expect(await redis.expire(key('expire-missing'), 120)).toBe(0);
    expect(await redis.ttl(key('expire-missing'))).toBe(-2);
    expect(await redis.pttl(key('expire-missing'))).toBe(-2);
  });

  it('increments hash fields by integers and floats and reads the hash as a record', async () => {
    expect(await redis.hincrby(key('hash'), 'requests', 1)).toBe(1);
    expect(await redis.hincrby(key('hash'), 'requests', 2)).toBe(3);
    expect(await redis.hincrbyfloat(key('hash'), 'cost_usd', 0.0625)).toBe('0.0625');
    expect(await redis.hincrby(key('hash'), '__proto__', 7)).toBe(7);
    const fields = await redis.hgetall(key('hash'));
    expect(fields).toEqual({ requests: '3', cost_usd: '0.0625', ['__proto__']: '7' });
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(await redis.hgetall(key('hash-missing'))).toEqual({});
  });

  it('appends to a list and reads it by index and range', async () => {
    expect(await redis.rpush(key('list'), 'zero', 'one')).toBe(2);
    expect(await redis.rpush(key('list'), '2\n二')).toBe(3);
    expect(await redis.lindex(key('list'), -1)).toBe('2\n二');
    expect(await redis.lindex(key('list'), 9)).toBeNull();
    expect(await redis.lrange(key('list'), 1, -1)).toEqual(['one', '2\n二']);
    expect(await redis.lrange(key('list-missing'), 0, -1)).toEqual([]);
  });

  it('sends any command with call and answers its reply as it is', async () => {
    expect(await redis.call('ECHO', '漫画')).toBe('漫画');
    expect(await redis.call('HSET', key('call'), 'a', 1, 'b', 2)).toBe(2);
    expect(await redis.call('HMGET', key('call'), 'a', 'missing')).toEqual(['1', null]);
  });

  it('rejects an error reply with RedisReplyError and answers the next command', async () => {
    await redis.rpush(key('a-list'), 'x');
    await expect(redis.get(key('a-list'))).rejects.toThrow(RedisReplyError);
    await expect(redis.get(key('a-list'))).rejects.toThrow(/^WRONGTYPE/);
    await expect(redis.call('NO-SUCH-COMMAND')).rejects.toThrow(/unknown command/);
    expect(await redis.call('ECHO', 'still here')).toBe('still here');
  });

  it('keeps replies in step when an argument cannot be encoded: that command rejects, the next ones get their own replies', async () => {
    const connection = connectionTo(redisUrl, { commandTimeoutMs: 1_000 });
    await untilReady(connection);
    await redis.set(key('in-step:a'), 'A');
    await redis.set(key('in-step:b'), 'B');
    // A null-prototype object (what querystring.parse returns) has no string form.
    await expect(connection.call('ECHO', Object.create(null))).rejects.toThrow(TypeError);
    expect(await Promise.all([connection.get(key('in-step:a')), connection.get(key('in-step:b'))])).toEqual([
      'A',
      'B',
    ]);
  });

  it('refuses, sending nothing, the commands that would change what the connection replies', async () => {
    const connection = connectionTo(redisUrl, { commandTimeoutMs: 1_000 });
    await untilReady(connection);
    const refused = [
      ['SUBSCRIBE', 'news'],
      ['psubscribe', 'news:*'],
      ['SSUBSCRIBE', 'news'],
      ['MONITOR'],
      ['HELLO', '3'],
      ['RESET'],
      ['CLIENT', 'REPLY', 'OFF'],
      ['client', 'reply', 'skip'],
      ['QUIT'],
      ['SYNC'],
      ['PSYNC', '?', '-1'],
    ];
    for (const [command = '', ...args] of refused) {
      await expect(connection.call(command, ...args), command).rejects.toThrow(TypeError);
    }
    await expect(connection.multi().call('SUBSCRIBE', 'news').exec()).rejects.toThrow(TypeError);
    expect(await connection.call('CLIENT', 'ID')).toEqual(expect.any(Number));
    expect(await connection.call('ECHO', 'in step')).toBe('in step');
    expect(connection.status).toBe('ready');
  });

  it('gives 1,000 concurrent commands each its own reply', async () => {
    const indexes = Array.from({ length: 1_000 }, (_, index) => index);
    const writes = indexes.map((index) => redis.set(key(`concurrent:${index}`), `value ${index}`));
    const reads = indexes.map((index) => redis.get(key(`concurrent:${index}`)));
    const echoes = indexes.map((index) => redis.call('ECHO', `echo ${index}`));
    expect(await Promise.all(writes)).toEqual(indexes.map(() => 'OK'));
    expect(await Promise.all(reads)).toEqual(indexes.map((index) => `value ${index}`));
    expect(await Promise.all(echoes)).toEqual(indexes.map((index) => `echo ${index}`));
  });
});

describe('RedisConnection transactions', () => {
  it('runs MULTI … EXEC and answers each command its reply, in order', async () => {
    const results = await redis
      .multi()
      .rpush(key('tx-list'), 'frame 0')
      .expire(key('tx-list'), 300)
      .lindex(key('tx-list'), -1)
      .lrange(key('tx-list'), 0, -1)
      .hincrbyfloat(key('tx-hash'), 'cost_usd', 0.5)
      .hincrby(key('tx-hash'), 'requests', 1)
      .exec();
    expect(results).toEqual([
      [null, 1],
      [null, 1],
      [null, 'frame 0'],
      [null, ['frame 0']],
      [null, '0.5'],
      [null, 1],
    ]);
  });

  it('reports a command that failed inside EXEC as its error, and runs the others', async () => {
    await redis.set(key('tx-string'), 'not a hash');
    const results = await redis
      .multi()
      .hincrby(key('tx-string'), 'requests', 1)
      .call('APPEND', key('tx-string'), '!')
      .exec();
    expect(results?.[0]?.[0]).toBeInstanceOf(RedisReplyError);
    expect(results?.[0]?.[0]?.message).toMatch(/^WRONGTYPE/);
    expect(results?.[1]).toEqual([null, 11]);
    expect(await redis.get(key('tx-string'))).toBe('not a hash!');
  });

  it('rejects a transaction Redis refused before running it (EXECABORT), naming the refused command, and stays in step', async () => {
    const refused = redis.multi().rpush(key('tx-aborted'), 'x').call('NO-SUCH-COMMAND', 'y').exec();
    await expect(refused).rejects.toThrow(RedisReplyError);
    await expect(refused).rejects.toThrow(/^EXECABORT .*unknown command/);
    expect(await redis.exists(key('tx-aborted'))).toBe(0);
    expect(await redis.call('ECHO', 'in step')).toBe('in step');
  });

  it('answers an empty transaction with no replies', async () => {
    expect(await redis.multi().exec()).toEqual([]);
  });
});

describe('RedisConnection databases and credentials on a real Redis', () => {
  it('selects the database of the URL before it is ready', async () => {
    const databaseOne = connectionTo(redisUrlWith((url) => (url.pathname = '/1')));
    await untilReady(databaseOne, 'database 1');
    await databaseOne.set(key('db'), 'in database 1', 'EX', 60);
    try {
      expect(await databaseOne.get(key('db'))).toBe('in database 1');
      expect(await redis.get(key('db'))).toBeNull();
      const overridden = connectionTo(redisUrl, { db: 1 });
      await untilReady(overridden, 'database 1 from the options');
      expect(await overridden.get(key('db'))).toBe('in database 1');
    } finally {
      await databaseOne.del(key('db'));
    }
  });

  it('authenticates as an ACL user with its percent-encoded password', async () => {
    const user = `mangaassist-test-${randomUUID()}`;
    const password = 'p@ss:wörd/1';
    await redis.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${keyPrefix}*`, '+@all');
    try {
      const authenticated = connectionTo(
        redisUrlWith((url) => {
          url.username = user;
          url.password = encodeURIComponent(password);
        }),
      );
      await untilReady(authenticated, 'the ACL user');
      expect(await authenticated.call('ACL', 'WHOAMI')).toBe(user);
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  it('reports a refused AUTH as an error and keeps retrying, never ready', async () => {
    const refused = connectionTo(
      redisUrlWith((url) => {
        url.username = `nobody-${randomUUID()}`;
        url.password = 'wrong';
      }),
      { retryStrategy: () => 10 },
    );
    const errors = recordErrors(refused);
    await nextEvent(refused, 'reconnecting');
    await nextEvent(refused, 'reconnecting');
    expect(errors[0]).toBeInstanceOf(RedisConnectionError);
    expect(errors[0]?.message).toMatch(/^Redis refused the connection setup: WRONGPASS/);
    expect(refused.status).not.toBe('ready');
  });
});

describe('RedisConnection lifecycle', () => {
  it('goes from wait to ready through connecting and connect, and ends on quit', async () => {
    const lazy = connectionTo(redisUrl, { lazyConnect: true });
    expect(lazy.status).toBe('wait');
    const statuses = recordStatuses(lazy);
    await settlesWithin(lazy.connect(), livenessMs, 'connect()');
    expect(lazy.status).toBe('ready');
    expect(await lazy.quit()).toBe('OK');
    expect(statuses).toEqual(['connecting', 'connect', 'ready', 'close', 'end']);
    expect(lazy.status).toBe('end');
  });

  it('rejects a command at once while it is not ready, instead of queueing it', async () => {
    const lazy = connectionTo(redisUrl, { lazyConnect: true });
    await expect(lazy.get(key('anything'))).rejects.toThrow(RedisConnectionError);
    await expect(lazy.get(key('anything'))).rejects.toThrow('Redis is not ready (wait)');
    const connecting = connectionTo(redisUrl);
    await expect(connecting.get(key('anything'))).rejects.toThrow('Redis is not ready (connecting)');
  });

  it('lets the commands already sent finish on quit, and refuses those sent after it', async () => {
    const quitting = connectionTo(redisUrl);
    await untilReady(quitting);
    const echoes = Array.from({ length: 20 }, (_, index) => quitting.call('ECHO', `${index}`));
    const quit = quitting.quit();
    await expect(quitting.call('ECHO', 'late')).rejects.toThrow(RedisConnectionError);
    await settlesWithin(quit, livenessMs, 'quit()');
    expect(await Promise.all(echoes)).toEqual(Array.from({ length: 20 }, (_, index) => `${index}`));
    expect(quitting.status).toBe('end');
  });

  it('shares one quit among concurrent calls: the commands sent before the first still finish', async () => {
    const quitting = connectionTo(redisUrl);
    await untilReady(quitting);
    const echoes = Array.from({ length: 5 }, (_, index) => quitting.call('ECHO', `${index}`));
    const quits = [quitting.quit(), quitting.quit()];
    expect(await Promise.all(echoes)).toEqual(['0', '1', '2', '3', '4']);
    expect(await settlesWithin(Promise.all(quits), livenessMs, 'both quits')).toEqual(['OK', 'OK']);
    expect(quitting.status).toBe('end');
  });

  it('ends only the connection it sent QUIT on: a connection opened again meanwhile stays up', async () => {
    const connection = connectionTo(redisUrl);
    await untilReady(connection);
    const quit = connection.quit();
    connection.disconnect();
    const reopened = connection.connect();
    await settlesWithin(reopened, livenessMs, 'connect() after disconnect()');
    const statuses = recordStatuses(connection);
    expect(await settlesWithin(quit, livenessMs, 'the first quit()')).toBe('OK');
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.status).toBe('ready');
    expect(statuses).toEqual([]);
    expect(await connection.call('ECHO', 'still open')).toBe('still open');
  });

  it('leaves no listener behind from connect(), whether the attempt succeeds or fails', async () => {
    const lazy = connectionTo(redisUrl, { lazyConnect: true });
    await settlesWithin(lazy.connect(), livenessMs, 'connect()');
    expect([lazy.listenerCount('ready'), lazy.listenerCount('close')]).toEqual([0, 0]);
    const unreachable = connectionTo(`redis://127.0.0.1:${await closedPort()}`, {
      lazyConnect: true,
      retryStrategy: () => null,
    });
    await expect(settlesWithin(unreachable.connect(), livenessMs, 'connect()')).rejects.toThrow(
      RedisConnectionError,
    );
    expect([unreachable.listenerCount('ready'), unreachable.listenerCount('close')]).toEqual([0, 0]);
  });

  it('turns TCP keep-alive on for its connections', async () => {
    const keepAlive = vi.spyOn(Socket.prototype, 'setKeepAlive');
    try {
      const connection = connectionTo(redisUrl);
      await untilReady(connection);
      expect(keepAlive).toHaveBeenCalledWith(true, expect.any(Number));
    } finally {
      keepAlive.mockRestore();
    }
  });

  it('quits a connection that is not ready by ending it', async () => {
    const unreachable = connectionTo(`redis://127.0.0.1:${await closedPort()}`, { lazyConnect: true });
    expect(await unreachable.quit()).toBe('OK');
    expect(unreachable.status).toBe('end');
  });

  it('rejects the commands waiting for replies on disconnect, and never reconnects by itself', async () => {
    const retries: number[] = [];
    const connection = connectionTo(redisUrl, {
      retryStrategy: (attempt) => {
        retries.push(attempt);
        return 1;
      },
    });
    await untilReady(connection);
    const statuses = recordStatuses(connection);
    const blocked = connection.call('BLPOP', key('never-pushed'), 30);
    connection.disconnect();
    await expect(blocked).rejects.toThrow(RedisConnectionError);
    expect(connection.status).toBe('end');
    expect(statuses).toEqual(['close', 'end']);
    expect(retries).toEqual([]);
  });

  it('connects again with connect() after it ended', async () => {
    const connection = connectionTo(redisUrl);
    await untilReady(connection);
    connection.disconnect();
    await settlesWithin(connection.connect(), livenessMs, 'connect() after disconnect()');
    expect(await connection.call('ECHO', 'again')).toBe('again');
  });

  it('refuses connect() while it is connecting or connected', async () => {
    await expect(redis.connect()).rejects.toThrow('Redis is already ready');
  });
});

describe('RedisConnection faults', () => {
  it('rejects a command with RedisTimeoutError when the server does not answer, then drops the silent connection and reconnects', async () => {
    // Answers the handshake's PING, then nothing: a hung Redis.
    const server = await scriptedServer(() => {});
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, {
      commandTimeoutMs: 50,
      socketTimeoutMs: 200,
      retryStrategy: () => 1,
    });
    const errors = recordErrors(connection);
    await untilReady(connection, 'the silent server');
    const statuses = recordStatuses(connection);
    const [first, second] = [connection.get(key('hung')), connection.get(key('hung'))];
    await expect(first).rejects.toThrow(RedisTimeoutError);
    await expect(second).rejects.toThrow('Redis did not reply within 50 ms');
    await nextEvent(connection, 'ready');
    expect(statuses).toEqual(['close', 'reconnecting', 'connecting', 'connect', 'ready']);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^No data from Redis for 200 ms while it owed 2 replies/),
    ]);
    expect(server.connections()).toBe(2);
  });

  it('keeps replies in step after a command timed out: the late reply is dropped, the next command gets its own', async () => {
    const connection = connectionTo(redisUrl, { commandTimeoutMs: 500, socketTimeoutMs: 30_000 });
    await untilReady(connection);
    await redis.set(key('mine'), 'the reply to GET');
    const blocked = connection.call('BLPOP', key('pushed-late'), 30);
    await expect(blocked).rejects.toThrow(RedisTimeoutError);
    // Sent behind the blocked BLPOP: its reply comes right after BLPOP's late one.
    const next = connection.get(key('mine'));
    await redis.rpush(key('pushed-late'), 'late');
    expect(await next).toBe('the reply to GET');
    expect(await connection.call('ECHO', 'in step')).toBe('in step');
    expect(await redis.exists(key('pushed-late'))).toBe(0);
  });

  it('rejects the pending commands when the server closes mid-reply, then reconnects', async () => {
    const server = await scriptedServer((command, connection, socket) => {
      if (connection === 1) {
        socket.write('$10\r\nhalf');
        socket.destroy();
      } else {
        socket.write(bulk(command[1] ?? ''));
      }
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { retryStrategy: () => 1 });
    recordErrors(connection);
    await untilReady(connection, 'the scripted server');
    const statuses = recordStatuses(connection);
    const pending = ['a', 'b', 'c'].map((value) => connection.call('ECHO', value));
    for (const command of pending) {
      await expect(command).rejects.toThrow(
        'The connection to Redis closed before the reply; the command may have run',
      );
    }
    await nextEvent(connection, 'ready');
    expect(statuses).toEqual(['close', 'reconnecting', 'connecting', 'connect', 'ready']);
    expect(await connection.call('ECHO', 'after')).toBe('after');
  });

  it('retries a closed port with the delays of its retry strategy and stops when it says so, never throwing an unhandled error', async () => {
    const attempts: number[] = [];
    // No `error` listener: a failed attempt must not become an unhandled 'error' event.
    const connection = connectionTo(`redis://127.0.0.1:${await closedPort()}`, {
      retryStrategy: (attempt) => {
        attempts.push(attempt);
        return attempt < 3 ? attempt * 5 : null;
      },
    });
    const statuses = recordStatuses(connection);
    const delays: number[] = [];
    connection.on('reconnecting', (delayMs) => delays.push(delayMs));
    await nextEvent(connection, 'end');
    expect(attempts).toEqual([1, 2, 3]);
    expect(delays).toEqual([5, 10]);
    expect(statuses).toEqual([
      'close',
      'reconnecting',
      'connecting',
      'close',
      'reconnecting',
      'connecting',
      'close',
      'end',
    ]);
    await expect(connection.get(key('anything'))).rejects.toThrow(RedisConnectionError);
  });

  it('reports each failed attempt on a closed port as an error while someone listens', async () => {
    const connection = connectionTo(`redis://127.0.0.1:${await closedPort()}`, { retryStrategy: () => 1 });
    const errors = recordErrors(connection);
    await nextEvent(connection, 'reconnecting');
    await nextEvent(connection, 'reconnecting');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('abandons a connection attempt that is not ready within connectTimeoutMs', async () => {
    const server = await scriptedServer(() => {}, { answersPing: false });
    // AUTH's and PING's replies never come.
    const connection = connectionTo(`redis://:secret@127.0.0.1:${server.port}`, {
      connectTimeoutMs: 100,
      commandTimeoutMs: 60_000,
      retryStrategy: () => 1,
    });
    const errors = recordErrors(connection);
    await nextEvent(connection, 'reconnecting');
    expect(errors.map((error) => error.message)).toEqual(['No connection to Redis within 100 ms']);
    await nextEvent(connection, 'connect');
    expect(server.connections()).toBe(2);
  });

  it('sends AUTH with the user, SELECT and PING in one round trip, and is ready once PING is answered', async () => {
    const received: string[][] = [];
    // Answers nothing until all three are in: a handshake that waited for each reply would hang.
    const server = await scriptedServer(
      (command, _connection, socket) => {
        received.push(command);
        if (received.length === 3) socket.write('+OK\r\n+OK\r\n+PONG\r\n');
      },
      { answersPing: false },
    );
    const connection = connectionTo(`redis://mangaassist:p%40ss@127.0.0.1:${server.port}/3`);
    await untilReady(connection, 'the scripted server');
    expect(received).toEqual([['AUTH', 'mangaassist', 'p@ss'], ['SELECT', '3'], ['PING']]);
  });

  it('asks for fresh credentials for each connection (an IAM token expires), and retries when it cannot get them', async () => {
    const received: string[][] = [];
    const sockets: Socket[] = [];
    const server = await scriptedServer((command, _connection, socket) => {
      received.push(command);
      sockets.push(socket);
      if (command[0] === 'AUTH') socket.write('+OK\r\n');
    });
    let issued = 0;
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, {
      retryStrategy: () => 1,
      credentials: async () => {
        issued += 1;
        if (issued === 1) throw new Error('no credentials yet');
        return { username: 'mangaassist-app', password: `token-${issued}` };
      },
    });
    const errors = recordErrors(connection);
    await untilReady(connection, 'the scripted server');
    expect(errors.map((error) => error.message)).toContain('no credentials yet');
    expect(received.filter((command) => command[0] === 'AUTH')).toEqual([
      ['AUTH', 'mangaassist-app', 'token-2'],
    ]);
    // The server ends the connection, as ElastiCache does after 12 hours of an IAM-authenticated one.
    sockets.at(-1)?.destroy();
    await nextEvent(connection, 'reconnecting');
    await untilReady(connection, 'the scripted server');
    expect(received.filter((command) => command[0] === 'AUTH').at(-1)).toEqual([
      'AUTH',
      'mangaassist-app',
      'token-3',
    ]);
  });

  it('never sends credentials that came too late for their connection on the next one', async () => {
    const auths: string[][] = [];
    const server = await scriptedServer((command, _connection, socket) => {
      if (command[0] === 'AUTH') {
        auths.push(command);
        socket.write('+OK\r\n');
      }
    });
    let issued = 0;
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, {
      connectTimeoutMs: 120,
      retryStrategy: () => 1,
      credentials: async () => {
        issued += 1;
        const token = `token-${issued}`;
        // The first token arrives after its connection was abandoned for being slow, while the
        // next connection still waits for its own.
        await sleep(issued === 1 ? 150 : 60);
        return { username: 'mangaassist-app', password: token };
      },
    });
    await untilReady(connection, 'the scripted server');
    await sleep(200);
    expect(auths.map((auth) => auth[2])).not.toContain('token-1');
  });

  it('is not ready before Redis answers its PING, even with no password and database 0', async () => {
    const received: string[][] = [];
    const server = await scriptedServer((command) => received.push(command), { answersPing: false });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, {
      connectTimeoutMs: 200,
      retryStrategy: () => null,
    });
    const errors = recordErrors(connection);
    const statuses = recordStatuses(connection);
    await nextEvent(connection, 'end');
    expect(statuses).toEqual(['connect', 'close', 'end']);
    expect(received).toEqual([['PING']]);
    expect(errors.map((error) => error.message)).toEqual(['No connection to Redis within 200 ms']);
  });

  it('backs off from a server that accepts each connection and refuses it, reporting its message, never ready', async () => {
    // What Redis does at maxclients, and a proxy with no backend: accept, send an error, close.
    const refusing = createServer((socket) => {
      socket.on('error', () => {});
      socket.end('-ERR max number of clients reached\r\n');
    });
    const port = await listening(refusing, '127.0.0.1');
    const attempts: number[] = [];
    let thirdAttempt: () => void = () => {};
    const third = new Promise<void>((resolve) => (thirdAttempt = resolve));
    const connection = connectionTo(`redis://127.0.0.1:${port}`, {
      retryStrategy: (attempt) => {
        attempts.push(attempt);
        if (attempts.length === 3) thirdAttempt();
        return 1;
      },
    });
    const errors = recordErrors(connection);
    const statuses = recordStatuses(connection);
    await settlesWithin(third, livenessMs, 'three attempts');
    connection.disconnect();
    expect(statuses).not.toContain('ready');
    expect(attempts).toEqual([1, 2, 3]);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining('ERR max number of clients reached'),
      expect.stringContaining('ERR max number of clients reached'),
      expect.stringContaining('ERR max number of clients reached'),
    ]);
  });

  it('counts attempts from 1 again once a connection was ready', async () => {
    // Connections 1 and 2 are dropped during the handshake; 3 is ready, then dropped too.
    const server = await scriptedServer(
      (command, connection, socket) => {
        if (command[0] === 'PING' && connection >= 3) socket.write('+PONG\r\n');
        else socket.destroy();
      },
      { answersPing: false },
    );
    const attempts: number[] = [];
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, {
      retryStrategy: (attempt) => {
        attempts.push(attempt);
        return 1;
      },
    });
    recordErrors(connection);
    await untilReady(connection, 'the third connection');
    await expect(connection.call('ECHO', 'drop me')).rejects.toThrow(RedisConnectionError);
    expect(attempts).toEqual([1, 2, 1]);
  });

  it('drops a connection that sends bytes that are not RESP2, closing its socket, and reconnects', async () => {
    const server = await scriptedServer((_command, connection, socket) => {
      socket.write(connection === 1 ? '?garbage\r\n' : bulk('fine'));
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { retryStrategy: () => 1 });
    const errors = recordErrors(connection);
    await untilReady(connection, 'the scripted server');
    await expect(connection.call('ECHO', 'x')).rejects.toThrow(RedisConnectionError);
    expect(errors[0]).toBeInstanceOf(RedisProtocolError);
    await serverSideClosed(server, 1);
    await nextEvent(connection, 'ready');
    expect(await connection.call('ECHO', 'x')).toBe('fine');
  });

  it('drops a connection that sends a reply no command was waiting for, naming the reply, and reconnects', async () => {
    const server = await scriptedServer((command, connection, socket) => {
      socket.write(bulk(command[1] ?? '') + (connection === 1 ? '+surprise\r\n' : ''));
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { retryStrategy: () => 1 });
    const errors = recordErrors(connection);
    await untilReady(connection, 'the scripted server');
    const reconnected = nextEvent(connection, 'ready');
    expect(await connection.call('ECHO', 'asked')).toBe('asked');
    await reconnected;
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/no command was waiting for.*surprise/),
    ]);
    expect(await connection.call('ECHO', 'again')).toBe('again');
  });

  it('never becomes ready on a connection dropped while the reply to its PING was being read', async () => {
    const server = await scriptedServer(
      (command, _connection, socket) => {
        if (command[0] === 'PING') socket.write('+PONG\r\n?garbage\r\n');
      },
      { answersPing: false },
    );
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, {
      lazyConnect: true,
      connectTimeoutMs: 1_000,
      retryStrategy: () => null,
    });
    const errors = recordErrors(connection);
    const statuses = recordStatuses(connection);
    await expect(settlesWithin(connection.connect(), livenessMs, 'connect()')).rejects.toThrow(
      RedisConnectionError,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(statuses).toEqual(['connecting', 'connect', 'close', 'end']);
    expect(connection.status).toBe('end');
    expect(errors[0]).toBeInstanceOf(RedisProtocolError);
  });

  it('reports a server that closes the connection without an error, during the handshake or after it', async () => {
    const server = await scriptedServer(
      (command, connection, socket) => {
        if (command[0] === 'PING' && connection === 1) socket.end();
        else if (command[0] === 'PING') socket.write('+PONG\r\n');
        else socket.end();
      },
      { answersPing: false },
    );
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { retryStrategy: () => 1 });
    const errors = recordErrors(connection);
    await untilReady(connection, 'the second connection');
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^Redis closed the connection/),
    ]);
    await expect(connection.call('ECHO', 'x')).rejects.toThrow(RedisConnectionError);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^Redis closed the connection/),
      expect.stringMatching(/^Redis closed the connection/),
    ]);
  });

  it('gives up, reporting the error, when the retry strategy throws, instead of throwing from a socket event', async () => {
    const connection = connectionTo(`redis://127.0.0.1:${await closedPort()}`, {
      retryStrategy: () => {
        throw new Error('a bug in the retry strategy');
      },
    });
    const errors = recordErrors(connection);
    await nextEvent(connection, 'end');
    expect(errors.map((error) => error.message)).toContainEqual(
      expect.stringContaining('a bug in the retry strategy'),
    );
    expect(connection.status).toBe('end');
  });

  it('drops and reconnects a connection that answers READONLY (a failover left the endpoint on a replica)', async () => {
    const server = await scriptedServer((_command, connection, socket) => {
      socket.write(
        connection === 1 ? "-READONLY You can't write against a read only replica.\r\n" : '+OK\r\n',
      );
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { retryStrategy: () => 1 });
    const errors = recordErrors(connection);
    await untilReady(connection, 'the scripted server');
    const reconnected = nextEvent(connection, 'ready');
    const refused = await connection.set(key('replica'), 'v').catch((error: unknown) => error);
    await reconnected;
    expect(refused).toBeInstanceOf(RedisReplyError);
    expect(refused).toHaveProperty('code', 'READONLY');
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('READONLY')]);
    expect(await connection.set(key('replica'), 'v')).toBe('OK');
  });

  it('rejects a reply of the wrong type with RedisProtocolError, and stays in step', async () => {
    const server = await scriptedServer((command, _connection, socket) => {
      socket.write(command[0] === 'GET' ? ':1\r\n' : bulk(command[1] ?? ''));
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`);
    await untilReady(connection, 'the scripted server');
    await expect(connection.get('key')).rejects.toThrow(RedisProtocolError);
    expect(await connection.call('ECHO', 'next')).toBe('next');
  });

  it('sets no timer that outlives disconnect: no attempt follows it', async () => {
    const retries: number[] = [];
    const connection = connectionTo(`redis://127.0.0.1:${await closedPort()}`, {
      retryStrategy: (attempt) => {
        retries.push(attempt);
        return 20;
      },
    });
    await nextEvent(connection, 'reconnecting');
    connection.disconnect();
    const statuses = recordStatuses(connection);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(retries).toEqual([1]);
    expect(statuses).toEqual([]);
    expect(connection.status).toBe('end');
  });
});

describe('RedisConnection timers', () => {
  it('keeps a ready connection past connectTimeoutMs: the connect timer ends with the handshake', async () => {
    const connection = connectionTo(redisUrl, { connectTimeoutMs: 200 });
    await untilReady(connection);
    const statuses = recordStatuses(connection);
    const errors = recordErrors(connection);
    await sleep(500);
    expect(await connection.call('ECHO', 'still up')).toBe('still up');
    expect(statuses).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('keeps a connection that always owes a reply, but keeps receiving replies, for several socketTimeoutMs', async () => {
    // Holds back the reply to each command until the next one comes: one reply is always owed.
    let held: string | undefined;
    const server = await scriptedServer((command, _connection, socket) => {
      if (held !== undefined) socket.write(bulk(held));
      held = command[1];
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { socketTimeoutMs: 200 });
    await untilReady(connection, 'the scripted server');
    const statuses = recordStatuses(connection);
    const errors = recordErrors(connection);
    const until = Date.now() + 1_000;
    let sent = 0;
    let previous = connection.call('ECHO', `${sent}`);
    while (Date.now() < until) {
      const next = connection.call('ECHO', `${++sent}`);
      expect(await previous).toBe(`${sent - 1}`);
      previous = next;
    }
    expect(statuses).toEqual([]);
    expect(errors).toEqual([]);
    connection.disconnect();
    await expect(previous).rejects.toThrow(RedisConnectionError);
  });

  it('times the silence of a command sent after an idle spell from that command, not from the last reply', async () => {
    // Answers the first command at once and the second after 200 ms, within socketTimeoutMs.
    const server = await scriptedServer((command, _connection, socket) => {
      if (command[1] === 'slow') setTimeout(() => socket.write(bulk('slow')), 200);
      else socket.write(bulk(command[1] ?? ''));
    });
    const connection = connectionTo(`redis://127.0.0.1:${server.port}`, { socketTimeoutMs: 400 });
    await untilReady(connection, 'the scripted server');
    const statuses = recordStatuses(connection);
    expect(await connection.call('ECHO', 'fast')).toBe('fast');
    await sleep(300);
    expect(await connection.call('ECHO', 'slow')).toBe('slow');
    expect(statuses).toEqual([]);
  });

  it('answers a command whose reply arrived while the event loop was blocked past both timeouts, and keeps the connection', async () => {
    const connection = connectionTo(redisUrl, { commandTimeoutMs: 50, socketTimeoutMs: 100 });
    await untilReady(connection);
    const statuses = recordStatuses(connection);
    const errors = recordErrors(connection);
    const reply = connection.call('ECHO', 'answered at once');
    // Once the command is written (at the end of this tick), the sandbox freezes: when it thaws,
    // both timers are due and the reply waits in the socket, not read yet.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        blockEventLoop(300);
        resolve();
      }),
    );
    expect(await reply).toBe('answered at once');
    expect(await connection.call('ECHO', 'still up')).toBe('still up');
    expect(statuses).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('createRedisClient', () => {
  /** A client closed after the test. */
  function clientTo(url: string, options: Parameters<typeof createRedisClient>[1] = {}): RedisConnection {
    const client = createRedisClient(url, options);
    connections.push(client);
    return client;
  }

  /** Resolves once the client has emitted `event` `times` times from now on, or fails naming it. */
  function events(client: RedisConnection, event: keyof RedisConnectionEvents, times: number): Promise<void> {
    let seen = 0;
    const happened = new Promise<void>((resolve) =>
      client.on(event, () => {
        if (++seen === times) resolve();
      }),
    );
    return settlesWithin(happened, livenessMs, `${times} ${event} events`);
  }

  it('authenticates an ?iam= URL as its user with an ElastiCache IAM token for the cache', async () => {
    const auths: string[][] = [];
    const server = await scriptedServer((command, _connection, socket) => {
      if (command[0] === 'AUTH') {
        auths.push(command);
        socket.write('+OK\r\n');
      }
    });
    const previous = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    try {
      const client = clientTo(`redis://mangaassist-prod-app@127.0.0.1:${server.port}?iam=mangaassist-prod`, {
        region: 'ap-northeast-1',
      });
      await untilReady(client, 'the scripted server');
    } finally {
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (previous[name] === undefined) delete process.env[name];
        else process.env[name] = previous[name];
      }
    }
    expect(auths).toHaveLength(1);
    const [, user, token] = auths[0] ?? [];
    expect(user).toBe('mangaassist-prod-app');
    expect(token).toMatch(
      /^mangaassist-prod\/\?Action=connect&User=mangaassist-prod-app&ResourceType=ServerlessCache&X-Amz-/,
    );
    expect(token).toContain('X-Amz-Credential=AKIDEXAMPLE%2F');
  });

  it('refuses an ?iam= URL without a user, or without a region to sign for', () => {
    expect(() =>
      createRedisClient('redis://127.0.0.1:6379?iam=mangaassist-prod', { region: 'ap-northeast-1' }),
    ).toThrow(/names its ElastiCache user/);
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      expect(() => createRedisClient('redis://app@127.0.0.1:6379?iam=mangaassist-prod')).toThrow(
        /needs a region/,
      );
    } finally {
      if (region !== undefined) process.env.AWS_REGION = region;
    }
  });

  it('waits 100 ms, 200 ms, 400 ms … up to maxReconnectDelayMs, plus less than 100 ms of jitter, between attempts', async () => {
    const client = clientTo(`redis://127.0.0.1:${await closedPort()}`, { maxReconnectDelayMs: 300 });
    const delays: number[] = [];
    client.on('reconnecting', (delayMs) => delays.push(delayMs));
    await events(client, 'reconnecting', 4);
    const floors = [100, 200, 300, 300];
    for (const [index, floor] of floors.entries()) {
      const jitter = (delays[index] ?? Number.NaN) - floor;
      expect(jitter, `attempt ${index + 1} waited ${delays[index]} ms`).toBeGreaterThanOrEqual(0);
      expect(jitter, `attempt ${index + 1} waited ${delays[index]} ms`).toBeLessThan(100);
    }
  });

  it('logs one warning, with the message of the server, and no recovery while a server accepts each connection and refuses it', async () => {
    const refusing = createServer((socket) => {
      socket.on('error', () => {});
      socket.end('-ERR max number of clients reached\r\n');
    });
    const port = await listening(refusing, '127.0.0.1');
    const logger = recordingLogger();
    const client = clientTo(`redis://127.0.0.1:${port}`, { logger, maxReconnectDelayMs: 1 });
    await events(client, 'reconnecting', 3);
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'Redis connection error; retrying in the background',
        fields: { error: expect.stringContaining('ERR max number of clients reached'), occurrences: 1 },
      },
    ]);
  });

  it('logs a connection that drops each time it is ready as one outage: no more than one recovery per warning interval', async () => {
    const server = await scriptedServer(
      (command, _connection, socket) => {
        if (command[0] === 'PING') socket.end('+PONG\r\n');
      },
      { answersPing: false },
    );
    const logger = recordingLogger();
    const client = clientTo(`redis://127.0.0.1:${server.port}`, { logger, maxReconnectDelayMs: 1 });
    await events(client, 'ready', 4);
    expect(logger.entries.map((entry) => [entry.level, entry.message])).toEqual([
      ['warn', 'Redis connection error; retrying in the background'],
      ['info', 'Redis connection is ready again'],
      ['warn', 'Redis connection error; retrying in the background'],
    ]);
  });
});

describe('RedisConnection over TLS', () => {
  const certificate = selfSignedCertificate(['localhost', '127.0.0.1']);

  /** A TLS server in front of the test Redis; `servernames` collects the SNI of each connection. */
  async function tlsProxy() {
    const target = parseRedisUrl(redisUrl);
    const servernames: (string | false | null)[] = [];
    const server = createTlsServer(certificate, (client) => {
      servernames.push(client.servername);
      const upstream = connectTcp(target.port, target.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
    });
    // On every interface: `localhost` may resolve to ::1 or 127.0.0.1.
    return { port: await listening(server), servernames };
  }

  function tlsUrl(host: string, port: number, protocol = 'rediss:'): string {
    return redisUrlWith((url) => {
      url.protocol = protocol;
      url.hostname = host;
      url.port = String(port);
    });
  }

  it('talks TLS to a server whose certificate the given CA signed, sending the host name as SNI', async () => {
    const proxy = await tlsProxy();
    const connection = connectionTo(tlsUrl('localhost', proxy.port), { tls: { ca: certificate.cert } });
    await untilReady(connection, 'Redis behind the TLS proxy');
    await connection.set(key('tls'), '暗号化', 'EX', 60);
    expect(await connection.get(key('tls'))).toBe('暗号化');
    expect(proxy.servernames).toEqual(['localhost']);
  });

  it('turns TLS on for a redis:// URL given TLS options, and sends no SNI for an IP address', async () => {
    const proxy = await tlsProxy();
    const connection = connectionTo(tlsUrl('127.0.0.1', proxy.port, 'redis:'), {
      tls: { ca: certificate.cert },
    });
    await untilReady(connection, 'Redis behind the TLS proxy');
    expect(await connection.call('ECHO', 'over TLS')).toBe('over TLS');
    expect(proxy.servernames).toEqual([false]);
  });

  it('refuses a server whose certificate it cannot verify, and keeps retrying', async () => {
    const proxy = await tlsProxy();
    const connection = connectionTo(tlsUrl('localhost', proxy.port), { retryStrategy: () => 10 });
    const errors = recordErrors(connection);
    await nextEvent(connection, 'reconnecting');
    expect(errors[0]?.message).toMatch(/self[- ]signed certificate/);
    expect(connection.status).not.toBe('ready');
  });
});
