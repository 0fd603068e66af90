// The outage memory every Redis adapter shares through its client: the first command that finds
// Redis gone pays for the discovery, the others skip Redis at once until a probe finds it back.
// Against a stand-in connection; the adapters' own suites run the same paths on a real Redis.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CallTimeoutError } from '../bounded-call.js';
import { manualClock } from '../testing/manual-clock.js';
import { recordingLogger } from '../testing/recording-logger.js';
import { RedisCommandRunner, type RedisCommandRunnerOptions, RedisOutageError } from './redis-client.js';
import { RedisTimeoutError } from './redis-connection.js';
import { RedisReplyError } from './redis-protocol.js';

/** A stand-in for a Redis client's connection state. */
class FakeConnection extends EventEmitter {
  constructor(public status = 'ready') {
    super();
  }

  async connect(): Promise<void> {}

  reconnects(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

function runnerOn(
  redis: FakeConnection,
  clock = manualClock(),
  options: Partial<RedisCommandRunnerOptions> = {},
) {
  return new RedisCommandRunner({
    redis,
    commandTimeoutMs: 20,
    logger: recordingLogger(),
    now: clock.now,
    warnIntervalMs: 60_000,
    outageMessage: 'Test store (Redis) unavailable',
    recoveredMessage: 'Test store is reachable again',
    ...options,
  });
}

/** A command that never answers, as Redis behind a dead network. */
const hangs = () => new Promise<never>(() => {});

/** A command that counts its calls and answers `value`. */
function counted<T>(value: T) {
  const command = Object.assign(
    async () => {
      command.calls++;
      return value;
    },
    { calls: 0 },
  );
  return command;
}

describe('RedisCommandRunner outage memory', () => {
  it('skips Redis at once, without sending the command, after a command timed out', async () => {
    const redis = new FakeConnection();
    const runner = runnerOn(redis);
    await expect(runner.run('get', hangs)).rejects.toBeInstanceOf(CallTimeoutError);

    const command = counted('value');
    await expect(runner.run('get', command)).rejects.toBeInstanceOf(RedisOutageError);
    expect(command.calls).toBe(0);
  });

  it("counts the client's own command timeout as an outage, as its own bound", async () => {
    const runner = runnerOn(new FakeConnection());
    const timedOut = () => Promise.reject(new RedisTimeoutError('Redis did not reply within 20 ms'));
    await expect(runner.run('get', timedOut)).rejects.toBeInstanceOf(RedisTimeoutError);

    const command = counted('value');
    await expect(runner.run('get', command)).rejects.toBeInstanceOf(RedisOutageError);
    expect(command.calls).toBe(0);
  });

  it('shares what it learnt with every runner on the same client, and only with those', async () => {
    const clock = manualClock();
    const redis = new FakeConnection();
    await expect(runnerOn(redis, clock).run('get', hangs)).rejects.toThrow();

    const command = counted('value');
    await expect(runnerOn(redis, clock).run('incrbyfloat', command)).rejects.toBeInstanceOf(RedisOutageError);
    await expect(runnerOn(new FakeConnection(), clock).run('get', command)).resolves.toBe('value');
    expect(command.calls).toBe(1);
  });

  it('lets one command probe after the back-off while the others still skip, and ends the outage when it answers', async () => {
    const clock = manualClock();
    const redis = new FakeConnection();
    const runner = runnerOn(redis, clock);
    await expect(runner.run('get', hangs)).rejects.toThrow();
    clock.advanceSeconds(0.999);
    await expect(runner.run('get', counted('early'))).rejects.toBeInstanceOf(RedisOutageError);
    clock.advanceSeconds(0.001);

    let answer: (value: string) => void = () => {};
    const probe = runner.run('get', () => new Promise<string>((resolve) => (answer = resolve)));
    const meanwhile = counted('meanwhile');
    await expect(runner.run('get', meanwhile)).rejects.toBeInstanceOf(RedisOutageError);
    answer('back');
    await expect(probe).resolves.toBe('back');

    await expect(runner.run('get', meanwhile)).resolves.toBe('meanwhile');
    expect(meanwhile.calls).toBe(1);
  });

  it('backs off again when the probe fails', async () => {
    const clock = manualClock();
    const runner = runnerOn(new FakeConnection(), clock);
    await expect(runner.run('get', hangs)).rejects.toThrow();
    clock.advanceSeconds(1);
    await expect(runner.run('get', hangs)).rejects.toBeInstanceOf(CallTimeoutError);

    await expect(runner.run('get', counted('value'))).rejects.toBeInstanceOf(RedisOutageError);
  });

  it('counts a command that failed on a lost connection as an outage', async () => {
    const redis = new FakeConnection();
    const runner = runnerOn(redis);
    await expect(
      runner.run('get', async () => {
        redis.status = 'reconnecting';
        throw new Error('Connection is closed.');
      }),
    ).rejects.toThrow('Connection is closed.');

    await expect(runner.run('get', counted('value'))).rejects.toBeInstanceOf(RedisOutageError);
  });

  it('does not take an error reply of a healthy connection for an outage', async () => {
    const runner = runnerOn(new FakeConnection());
    await expect(
      runner.run('incrbyfloat', async () => {
        throw new RedisReplyError('ERR value is not a valid float');
      }),
    ).rejects.toThrow('not a valid float');

    await expect(runner.run('get', counted('value'))).resolves.toBe('value');
  });

  it('counts an error reply saying that the server behind the endpoint cannot serve as an outage', async () => {
    const replies = [
      'LOADING Redis is loading the dataset in memory',
      "READONLY You can't write against a read only replica.",
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'CLUSTERDOWN The cluster is down',
      'MOVED 3999 127.0.0.1:6381',
      'ASK 3999 127.0.0.1:6381',
    ];
    for (const reply of replies) {
      const runner = runnerOn(new FakeConnection());
      await expect(runner.run('get', () => Promise.reject(new RedisReplyError(reply)))).rejects.toThrow(
        reply,
      );

      const command = counted('value');
      await expect(runner.run('get', command), reply).rejects.toBeInstanceOf(RedisOutageError);
      expect(command.calls).toBe(0);
    }
  });

  it('counts a transaction that Redis refused because the server cannot serve as an outage', async () => {
    const runner = runnerOn(new FakeConnection());
    const loading = new RedisReplyError('LOADING Redis is loading the dataset in memory');
    const aborted = new RedisReplyError(`EXECABORT Transaction discarded (${loading.message})`, {
      cause: loading,
    });
    await expect(runner.run('add', () => Promise.reject(aborted))).rejects.toThrow('EXECABORT');

    await expect(runner.run('get', counted('value'))).rejects.toBeInstanceOf(RedisOutageError);
  });

  it('ends the outage as soon as the client is ready again', async () => {
    const redis = new FakeConnection();
    const runner = runnerOn(redis);
    await expect(runner.run('get', hangs)).rejects.toThrow();
    redis.status = 'reconnecting';

    redis.reconnects();

    await expect(runner.run('get', counted('value'))).resolves.toBe('value');
    expect(redis.listenerCount('ready')).toBe(0);
  });

  it('logs one warning for the discovery and the skips together, and one recovery', async () => {
    const clock = manualClock();
    const logger = recordingLogger();
    const runner = runnerOn(new FakeConnection(), clock, { logger });
    await expect(runner.run('get', hangs)).rejects.toThrow();
    for (let skip = 0; skip < 5; skip++) await expect(runner.run('get', counted(1))).rejects.toThrow();
    clock.advanceSeconds(1);
    await runner.run('get', counted(1));

    expect(logger.entries.map((entry) => [entry.level, entry.message])).toEqual([
      ['warn', 'Test store (Redis) unavailable'],
      ['info', 'Test store is reachable again'],
    ]);
    expect(logger.entries[1]?.fields).toEqual({ failures: 6 });
  });

  it('waits for the reconnection with one listener, however many probes fail meanwhile', async () => {
    const clock = manualClock();
    const redis = new FakeConnection();
    const runner = runnerOn(redis, clock);
    for (let probe = 0; probe < 5; probe++) {
      await expect(runner.run('get', hangs)).rejects.toThrow();
      clock.advanceSeconds(1);
    }

    expect(redis.listenerCount('ready')).toBe(1);
  });

  it('ends the outage when a probe gets an error reply: Redis answered', async () => {
    const clock = manualClock();
    const runner = runnerOn(new FakeConnection(), clock);
    await expect(runner.run('get', hangs)).rejects.toThrow();
    clock.advanceSeconds(1);
    await expect(
      runner.run('get', async () => {
        throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
      }),
    ).rejects.toThrow('WRONGTYPE');

    await expect(runner.run('get', counted('value'))).resolves.toBe('value');
  });
});
