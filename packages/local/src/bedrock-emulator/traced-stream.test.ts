// `traceAwsClient` (@mangaassist/commons/tracing) on the streaming call it must time whole: a
// ConverseStream against the emulator, read to its end, broken mid-stream, or left early.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { type BedrockEmulator, startBedrockEmulator } from './index.js';
import { clientFor, converseInput, modelIds } from './test-support.js';

let emulator: BedrockEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A proxy to `target` whose connections can all be dropped at once, as a network cut would. */
async function droppingProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function tracedStream(prepare: (emulator: BedrockEmulator) => void = () => {}) {
  emulator = await startBedrockEmulator();
  prepare(emulator);
  const client = traceAwsClient(clientFor(emulator));
  const output = await client.send(new ConverseStreamCommand(converseInput(modelIds.haiku, 'こんにちは')));
  if (output.stream === undefined) throw new Error('ConverseStream answered without a stream');
  return output.stream;
}

describe('a traced ConverseStream', () => {
  it('is one subsegment that ends with the last event, not when the answer starts', async () => {
    const sink = installRecordingTraceSink();
    const stream = await tracedStream();
    let events = 0;
    for await (const _event of stream) {
      events += 1;
      if (events === 1) expect(sink.subsegments).toEqual([]);
    }
    expect(events).toBeGreaterThan(2);
    expect(sink.subsegments).toEqual([
      expect.objectContaining({
        name: 'BedrockRuntime',
        aws: expect.objectContaining({ operation: 'ConverseStream', model_id: modelIds.haiku }),
        http: { response: { status: 200 } },
      }),
    ]);
    expect(sink.subsegments[0]?.fault ?? sink.subsegments[0]?.error).toBeUndefined();
  });

  it('is flagged with the error that broke it mid-stream', async () => {
    const sink = installRecordingTraceSink();
    const stream = await tracedStream((emulator) =>
      emulator.faults.add({ error: 'ModelStreamErrorException', rate: 1 }),
    );
    const broken = await (async () => {
      for await (const _event of stream);
    })().then(
      () => 'read to its end',
      (error: Error) => error.name,
    );
    expect(broken).toBe('ModelStreamErrorException');
    // The model failed part-way (its own status is a 500): a fault, though the call began with a 200.
    const [subsegment] = sink.subsegments;
    expect(sink.subsegments).toHaveLength(1);
    expect(subsegment?.aws?.error_code).toBe('ModelStreamErrorException');
    expect([subsegment?.fault, subsegment?.error, subsegment?.http?.response.status]).toEqual([
      true,
      undefined,
      200,
    ]);
  });

  it('is a fault when the connection is cut part-way, though the SDK ends the stream quietly', async () => {
    const sink = installRecordingTraceSink();
    emulator = await startBedrockEmulator();
    emulator.faults.add({ tokenDelayMs: 50 });
    const proxy = await droppingProxy(new URL(emulator.url));
    const client = traceAwsClient(clientFor({ ...emulator, url: proxy.url }));
    const output = await client.send(new ConverseStreamCommand(converseInput(modelIds.haiku, 'こんにちは')));
    const read: unknown[] = [];
    for await (const event of output.stream ?? []) {
      read.push(event);
      if (read.length === 1) proxy.dropAll();
    }
    expect(read.some((event) => typeof event === 'object' && event !== null && 'metadata' in event)).toBe(
      false,
    );
    expect(sink.subsegments).toHaveLength(1);
    expect(sink.subsegments[0]?.aws?.error_code).toBe('StreamEndedEarly');
    expect(sink.subsegments[0]?.fault).toBe(true);
  });

  it('ends when its reader stops early', async () => {
    const sink = installRecordingTraceSink();
    const stream = await tracedStream();
    for await (const _event of stream) break;
    expect(sink.subsegments).toHaveLength(1);
  });

  it('ends when its reader stops before reading anything', async () => {
    const sink = installRecordingTraceSink();
    const stream = await tracedStream();
    await stream[Symbol.asyncIterator]().return?.();
    expect(sink.subsegments).toHaveLength(1);
  });
});
