import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { settlesWithin } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EventPublishError } from '../event-publisher.js';
import { createEventBridgePublisher, eventBridgeClientConfig } from './eventbridge-publisher-factory.js';

let silent: Server | undefined;
let requests = 0;
afterEach(async () => {
  silent?.closeAllConnections();
  await new Promise((resolve) => silent?.close(resolve) ?? resolve(undefined));
  silent = undefined;
  requests = 0;
});

/** An HTTP server that accepts every request and never answers it: a stalled PutEvents. */
async function silentEndpoint(): Promise<string> {
  const server = createServer(() => {
    requests += 1;
  });
  silent = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const local = { region: 'ap-northeast-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const event = { source: 'mangaassist.payments', detailType: 'PaymentCompleted', detail: {} };

describe('eventBridgeClientConfig', () => {
  it('gives the client the attempts, endpoint, region, credentials and timeouts it is told', () => {
    expect(
      eventBridgeClientConfig({
        client: {
          sdkMaxAttempts: 3,
          timeouts: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000, throwOnRequestTimeout: true },
        },
        endpoint: 'http://127.0.0.1:4010',
        ...local,
      }),
    ).toEqual({
      maxAttempts: 3,
      endpoint: 'http://127.0.0.1:4010',
      region: 'ap-northeast-1',
      credentials: local.credentials,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    });
  });

  it('leaves the region, credentials and socket timeouts to the SDK when none are given', () => {
    expect(eventBridgeClientConfig({ client: { sdkMaxAttempts: 1 } })).toEqual({ maxAttempts: 1 });
  });
});

describe('createEventBridgePublisher', () => {
  it('fails a PutEvents that gets no answer within a request timeout that throws, instead of hanging', async () => {
    const { publisher, close } = createEventBridgePublisher({
      eventBusName: 'MangaAssist-AI-Events',
      client: {
        sdkMaxAttempts: 1,
        timeouts: { connectionTimeoutMs: 1_000, requestTimeoutMs: 50, throwOnRequestTimeout: true },
      },
      endpoint: await silentEndpoint(),
      ...local,
    });

    const published = settlesWithin(publisher.publish([event]), 10_000, 'a PutEvents to a silent endpoint');

    await expect(published).rejects.toBeInstanceOf(EventPublishError);
    await expect(published).rejects.toMatchObject({
      failed: [expect.objectContaining({ errorCode: 'TimeoutError' })],
    });
    close();
  });

  it('sends a request once and waits on it when the request timeout only warns', async () => {
    const { publisher, close } = createEventBridgePublisher({
      eventBusName: 'MangaAssist-AI-Events',
      client: {
        sdkMaxAttempts: 1,
        timeouts: { connectionTimeoutMs: 1_000, requestTimeoutMs: 50, throwOnRequestTimeout: false },
      },
      endpoint: await silentEndpoint(),
      ...local,
    });
    const controller = new AbortController();

    const published = publisher.publish([event], { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 400));
    controller.abort(new Error('caller gave up'));

    await expect(published).rejects.toThrow('caller gave up');
    expect(requests).toBe(1);
    close();
  });
});
