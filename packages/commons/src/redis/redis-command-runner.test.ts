// The outage memory every Redis adapter shares through its client: the first command that finds
// Redis gone pays for the discovery, the others skip Redis at once until a probe finds it back.
// Against a stand-in connection; the adapters' own suites run the same paths on a real Redis.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CallTimeoutError } from '../bounded-call.js';
import { manualClock } from '../testing/manual-clock.js';
import { recordingLogger } from '../testing/recording-logger.js';
import { RedisCommandRunner, type RedisCommandRunnerOptions, RedisOutageError } from './redis-client.js';

/** A stand-in for an ioredis client's connection state. */
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
        throw new Error('ERR value is not a valid float');
      }),
    ).rejects.toThrow('not a valid float');

    await expect(runner.run('get', counted('value'))).resolves.toBe('value');
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
