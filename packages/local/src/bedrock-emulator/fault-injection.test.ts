import {
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamCommandOutput,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BedrockEmulator,
  type BedrockEmulatorOptions,
  type Sleep,
  startBedrockEmulator,
} from './index.js';
import { clientFor, converseInput, modelIds, readConverseStream } from './test-support.js';

const running: { close(): Promise<void> }[] = [];

async function start(options: BedrockEmulatorOptions = {}): Promise<BedrockEmulator> {
  const emulator = await startBedrockEmulator(options);
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((resource) => resource.close()));
});

function clientOf(emulator: BedrockEmulator, options: { region?: string; maxAttempts?: number } = {}) {
  const client = clientFor(emulator, options);
  running.push({ close: async () => client.destroy() });
  return client;
}

/**
 * A sleep that records each requested delay and holds it until `open()`, so a test can see
 * what the emulator is waiting for without depending on the wall clock.
 */
function gatedSleep() {
  const calls: number[] = [];
  const held: (() => void)[] = [];
  const watchers: (() => void)[] = [];
  let opened = false;
  const sleep: Sleep = (ms, signal) => {
    calls.push(ms);
    for (const watcher of watchers.splice(0)) watcher();
    if (opened) return Promise.resolve();
    return new Promise((resolve, reject) => {
      held.push(resolve);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  const untilCalled = async (count: number): Promise<void> => {
    while (calls.length < count) await new Promise<void>((resolve) => watchers.push(resolve));
  };
  const open = (): void => {
    opened = true;
    for (const release of held.splice(0)) release();
  };
  return { calls, sleep, untilCalled, open };
}

describe('faults over the wire', () => {
  it('throttles only the region named in the request signature', async () => {
    const emulator = await start();
    emulator.faults.add({ region: 'ap-northeast-1', error: 'ThrottlingException', rate: 1 });

    const tokyo = clientOf(emulator, { region: 'ap-northeast-1' });
    const oregon = clientOf(emulator, { region: 'us-west-2' });

    await expect(tokyo.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')))).rejects.toBeInstanceOf(
      ThrottlingException,
    );
    await expect(
      oregon.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi'))),
    ).resolves.toBeDefined();
    expect(emulator.stats({ region: 'ap-northeast-1' }).outcomes).toEqual({ ThrottlingException: 1 });
    expect(emulator.stats({ region: 'us-west-2' }).outcomes).toEqual({ ok: 1 });
  });

  it('fails only the model the fault names', async () => {
    const emulator = await start();
    emulator.faults.add({ model: 'sonnet', error: 'ModelNotReadyException', rate: 1 });
    const client = clientOf(emulator);

    await expect(
      client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi'))),
    ).resolves.toBeDefined();
    await expect(
      client.send(new ConverseCommand(converseInput(modelIds.sonnetJapan, 'hi'))),
    ).rejects.toMatchObject({
      name: 'ModelNotReadyException',
    });
  });

  it('fails only prompts containing the fault’s match text', async () => {
    const emulator = await start();
    emulator.faults.add({ match: 'Berserk', error: 'ModelErrorException' });
    const client = clientOf(emulator);

    await expect(
      client.send(new ConverseCommand(converseInput(modelIds.haiku, 'Is Vagabond finished?'))),
    ).resolves.toBeDefined();
    await expect(
      client.send(new ConverseCommand(converseInput(modelIds.haiku, 'Is Berserk finished?'))),
    ).rejects.toMatchObject({ name: 'ModelErrorException' });
  });

  it('lets every request through at rate 0', async () => {
    const emulator = await start();
    emulator.faults.add({ error: 'ThrottlingException', rate: 0 });
    const client = clientOf(emulator);

    for (let attempt = 0; attempt < 3; attempt += 1) {
      await client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')));
    }

    expect(emulator.stats().outcomes).toEqual({ ok: 3 });
  });

  it('follows the injected random source for a fractional rate', async () => {
    const draws = [0.1, 0.9];
    const emulator = await start({ random: () => draws.shift() ?? 0.99 });
    emulator.faults.add({ error: 'InternalServerException', rate: 0.5 });
    const client = clientOf(emulator);

    await expect(client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')))).rejects.toMatchObject(
      {
        name: 'InternalServerException',
      },
    );
    await expect(
      client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi'))),
    ).resolves.toBeDefined();
  });

  it('sees every attempt of the SDK retrying a throttle before the caller gets the error', async () => {
    const emulator = await start();
    emulator.faults.add({ error: 'ThrottlingException', rate: 1 });
    const client = clientOf(emulator, { maxAttempts: 3 });

    const sending = client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')));

    await expect(sending).rejects.toBeInstanceOf(ThrottlingException);
    await expect(sending).rejects.toMatchObject({ $metadata: { attempts: 3 } });
    expect(emulator.stats({ region: 'ap-northeast-1', modelId: modelIds.haiku })).toMatchObject({
      attempts: 3,
      outcomes: { ThrottlingException: 3 },
    });
  });

  it('answers normally once the faults are cleared', async () => {
    const emulator = await start();
    emulator.faults.add({ error: 'ThrottlingException', rate: 1 });
    emulator.faults.clear();

    const output = await clientOf(emulator).send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')));

    expect(output.stopReason).toBe('end_turn');
  });
});

describe('latency faults', () => {
  it('holds back the first stream event until the time to first token has passed', async () => {
    const gate = gatedSleep();
    const emulator = await start({ sleep: gate.sleep });
    emulator.faults.add({ ttftMs: 1_500 });
    let answered = false;

    const sending = clientOf(emulator)
      .send(new ConverseStreamCommand(converseInput(modelIds.haiku, 'slow start')))
      .then((output) => {
        answered = true;
        return output;
      });
    await gate.untilCalled(1);
    await new Promise((resolve) => setImmediate(resolve));

    expect(gate.calls).toEqual([1_500]);
    expect(answered).toBe(false);
    gate.open();
    const reading = await readConverseStream(await sending);
    expect(reading.eventNames[0]).toBe('messageStart');
  });

  it('delivers each delta as it is produced, before the next token delay has elapsed', async () => {
    const gate = gatedSleep();
    const emulator = await start({ sleep: gate.sleep });
    emulator.faults.add({ tokenDelayMs: 40 });
    const output: ConverseStreamCommandOutput = await clientOf(emulator).send(
      new ConverseStreamCommand(converseInput(modelIds.haiku, 'stream me')),
    );
    if (output.stream === undefined) throw new Error('ConverseStream returned no stream');
    const events = output.stream[Symbol.asyncIterator]();

    const first = await events.next();
    const second = await events.next();

    // The emulator is still waiting out the first token delay, yet the client already holds a delta.
    expect(first.value).toHaveProperty('messageStart');
    expect(second.value?.contentBlockDelta?.delta?.text).toEqual(expect.any(String));
    await gate.untilCalled(1);
    expect(gate.calls).toEqual([40]);
    gate.open();
    let remaining = 0;
    for (let next = await events.next(); next.done !== true; next = await events.next()) remaining += 1;
    expect(remaining).toBeGreaterThan(3);
  });

  it('waits the token delay between every pair of deltas and the time to first token once', async () => {
    const delays: number[] = [];
    const emulator = await start({
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    emulator.faults.add({ region: 'ap-northeast-1', ttftMs: 300, tokenDelayMs: 25 });

    const reading = await readConverseStream(
      await clientOf(emulator).send(new ConverseStreamCommand(converseInput(modelIds.haiku, 'paced'))),
    );

    expect(delays).toEqual([300, ...Array.from({ length: reading.deltas.length - 1 }, () => 25)]);
  });

  it('delays a whole response by the emulated generation time, and applies configured default latency', async () => {
    const delays: number[] = [];
    const emulator = await start({
      latency: { ttftMs: 7 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });

    await clientOf(emulator).send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')));

    expect(delays).toEqual([7]);
  });

  it('adds no artificial delay by default', async () => {
    const delays: number[] = [];
    const emulator = await start({
      sleep: async (ms) => {
        delays.push(ms);
      },
    });

    await readConverseStream(
      await clientOf(emulator).send(new ConverseStreamCommand(converseInput(modelIds.haiku, 'fast'))),
    );

    expect(delays).toEqual([]);
  });
});
