import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../gateway/gateway-types.js';
import { lambdaXrayAttemptTracer, sampledParent, xrayAttemptTracer } from './xray-attempt-tracer.js';

const sampled = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const attempt: AttemptRecord = {
  model: 'claude-haiku-4-5',
  region: 'ap-northeast-1',
  modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
  outcome: 'success',
  calls: 1,
};

/** A UDP listener standing in for the X-Ray daemon: the documents it receives, parsed. */
async function fakeDaemon() {
  const socket = createSocket('udp4');
  const documents: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (message) => {
    const [header, body] = message.toString('utf8').split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    documents.push(JSON.parse(body ?? ''));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    documents,
    async received(count: number) {
      const deadline = Date.now() + 2000;
      while (documents.length < count) {
        if (Date.now() > deadline)
          throw new Error(`the daemon got ${documents.length} of ${count} documents`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => socket.close(),
  };
}

let daemon: Awaited<ReturnType<typeof fakeDaemon>> | undefined;
afterEach(() => {
  daemon?.close();
  daemon = undefined;
});

describe('sampledParent', () => {
  it('reads the trace and parent of a sampled header, and nothing of an unsampled or partial one', () => {
    expect(sampledParent(sampled)).toEqual({
      traceId: '1-5759e988-bd862e3fe1be46a994272793',
      parentId: '53995c3f42cd8ad8',
    });
    expect(sampledParent(sampled.replace('Sampled=1', 'Sampled=0'))).toBeUndefined();
    expect(sampledParent('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1')).toBeUndefined();
    expect(sampledParent(undefined)).toBeUndefined();
  });
});

describe('xrayAttemptTracer', () => {
  it('sends each target tried as a subsegment of the invocation, annotated with the model, region, step and outcome', async () => {
    daemon = await fakeDaemon();
    let clock = 1_700_000_000_000;
    const tracer = xrayAttemptTracer({
      daemonAddress: daemon.address,
      traceHeader: () => sampled,
      now: () => clock,
    });
    const first = tracer.start(attempt);
    clock += 250;
    first.end({ ...attempt, outcome: 'failed', calls: 3, error: 'ThrottlingException' });
    const second = tracer.start({ ...attempt, model: 'claude-3-haiku' });
    clock += 400;
    second.end({ ...attempt, model: 'claude-3-haiku', outcome: 'failed', error: 'ModelErrorException' });
    await daemon.received(2);
    expect(daemon.documents[0]).toMatchObject({
      type: 'subsegment',
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      parent_id: '53995c3f42cd8ad8',
      name: 'Bedrock claude-haiku-4-5',
      start_time: 1_700_000_000,
      end_time: 1_700_000_000.25,
      error: true,
      throttle: true,
      annotations: {
        model: 'claude-haiku-4-5',
        model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
        region: 'ap-northeast-1',
        fallback_step: 1,
        calls: 3,
        outcome: 'failed',
        error: 'ThrottlingException',
      },
    });
    expect(daemon.documents[0]).not.toHaveProperty('fault');
    expect(daemon.documents[1]).toMatchObject({
      name: 'Bedrock claude-3-haiku',
      fault: true,
      annotations: { fallback_step: 2, outcome: 'failed' },
    });
  });

  it('starts counting steps again for the next invocation, and marks a success neither fault nor error', async () => {
    daemon = await fakeDaemon();
    let header = sampled;
    const tracer = xrayAttemptTracer({ daemonAddress: daemon.address, traceHeader: () => header });
    tracer.start(attempt).end(attempt);
    header = sampled.replace('Parent=53995c3f42cd8ad8', 'Parent=0000000000000001');
    tracer.start(attempt).end(attempt);
    await daemon.received(2);
    expect(
      daemon.documents.map((document) => (document.annotations as { fallback_step: number }).fallback_step),
    ).toEqual([1, 1]);
    for (const document of daemon.documents) {
      expect(document).not.toHaveProperty('fault');
      expect(document).not.toHaveProperty('error');
    }
  });

  it("marks the caller's own mistake an error, not a fault", async () => {
    daemon = await fakeDaemon();
    const tracer = xrayAttemptTracer({ daemonAddress: daemon.address, traceHeader: () => sampled });
    tracer.start(attempt).end({ ...attempt, outcome: 'failed', error: 'ValidationException' });
    await daemon.received(1);
    expect(daemon.documents[0]).toMatchObject({ error: true });
    expect(daemon.documents[0]).not.toHaveProperty('fault');
    expect(daemon.documents[0]).not.toHaveProperty('throttle');
  });

  it('sends nothing for an unsampled invocation', async () => {
    daemon = await fakeDaemon();
    const tracer = xrayAttemptTracer({
      daemonAddress: daemon.address,
      traceHeader: () => sampled.replace('Sampled=1', 'Sampled=0'),
    });
    tracer.start(attempt).end(attempt);
    // A sampled one after it arrives alone: the unsampled one was never sent.
    const sampledTracer = xrayAttemptTracer({ daemonAddress: daemon.address, traceHeader: () => sampled });
    sampledTracer.start(attempt).end(attempt);
    await daemon.received(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(daemon.documents).toHaveLength(1);
  });
});

describe('lambdaXrayAttemptTracer', () => {
  it('traces only inside Lambda with the daemon running', () => {
    expect(lambdaXrayAttemptTracer({})).toBeUndefined();
    expect(lambdaXrayAttemptTracer({ AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' })).toBeUndefined();
    expect(
      lambdaXrayAttemptTracer({
        AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
        AWS_LAMBDA_FUNCTION_NAME: 'chat',
      }),
    ).toBeDefined();
  });
});
