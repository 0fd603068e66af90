import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@mangaassist/commons';
import { settlesWithin } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../config/gateway-config.js';
import { createFakeRuntimes } from '../testing/fake-model-runtime.js';
import { createGateway, gatewayEventBridgeSettings } from './create-gateway.js';

let bus: Server | undefined;
let putEvents = 0;
afterEach(async () => {
  bus?.closeAllConnections();
  await new Promise((resolve) => bus?.close(resolve) ?? resolve(undefined));
  bus = undefined;
  putEvents = 0;
});

/** An EventBridge endpoint that takes every PutEvents and never answers. */
async function stalledBus(): Promise<string> {
  const server = createServer(() => {
    putEvents += 1;
  });
  bus = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createGateway', () => {
  it('gives InferenceCompleted a client that never slows an answer and never resends a late event', () => {
    expect(gatewayEventBridgeSettings).toEqual({
      sdkMaxAttempts: 1,
      timeouts: { connectionTimeoutMs: 500, requestTimeoutMs: 1_000, throwOnRequestTimeout: false },
    });
  });

  it('applies the configured guardrail to every call', async () => {
    const runtimes = createFakeRuntimes(() => ({ text: 'こんにちは' }), systemClock);
    const { gateway, close } = createGateway(
      gatewayConfigSchema.parse({ guardrailId: 'gr0abc123def', guardrailVersion: '2' }),
      { gateway: { runtimes: runtimes.provider } },
    );
    await gateway.complete({ tenantId: 'manga-store', messages: [{ role: 'user', content: 'こんにちは' }] });
    expect(runtimes.calls[0]?.request.guardrail).toEqual({ id: 'gr0abc123def', version: '2' });
    await close();
  });

  it("gathers the calls' InferenceCompleted into shared bus requests when asked to, and flushes them", async () => {
    const runtimes = createFakeRuntimes(() => ({ text: 'こんにちは' }), systemClock);
    const requests: number[] = [];
    const { gateway, close } = createGateway(gatewayConfigSchema.parse({}), {
      events: {
        publish: async (events) => {
          requests.push(events.length);
        },
      },
      eventBatching: { maxBatch: 2, lingerMs: 60_000 },
      gateway: { runtimes: runtimes.provider },
    });
    for (const content of ['一', '二', '三']) {
      await gateway.complete({ tenantId: 'manga-store', messages: [{ role: 'user', content }] });
    }
    expect(requests).toEqual([2]);
    await close();
    expect(requests).toEqual([2, 1]);
  });

  it('answers at once on a stalled bus, sends its InferenceCompleted once, and flushes within its bound', async () => {
    const runtimes = createFakeRuntimes(() => ({ text: 'こんにちは' }), systemClock);
    const { gateway, close } = createGateway(
      gatewayConfigSchema.parse({ eventBusName: 'bus', eventBridgeEndpoint: await stalledBus() }),
      {
        region: 'ap-northeast-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        gateway: { runtimes: runtimes.provider },
      },
    );

    const answer = await gateway.complete({
      tenantId: 'manga-store',
      requestId: 'req-1',
      model: 'fast',
      messages: [{ role: 'user', content: 'こんにちは' }],
      maxTokens: 64,
    });
    await gateway.flush(100);
    // Past the 1 s request timeout: a client that aborted and retried would have sent again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(answer.text).toBe('こんにちは');
    expect(putEvents).toBe(1);
    await settlesWithin(close(), 5_000, 'closing the gateway while its InferenceCompleted is stalled');
  });
});
