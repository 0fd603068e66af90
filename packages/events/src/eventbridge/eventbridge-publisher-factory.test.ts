import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { settlesWithin } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EventPublishError } from '../event-publisher.js';
import { createEventBridgePublisher } from './eventbridge-publisher-factory.js';

let silent: Server | undefined;
afterEach(async () => {
  silent?.closeAllConnections();
  await new Promise((resolve) => silent?.close(resolve) ?? resolve(undefined));
  silent = undefined;
});

/** An HTTP server that accepts every request and never answers it: a stalled PutEvents. */
async function silentEndpoint(): Promise<string> {
  const server = createServer(() => {});
  silent = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createEventBridgePublisher', () => {
  it('fails a PutEvents that gets no answer within the request timeout instead of hanging', async () => {
    const { publisher, close } = createEventBridgePublisher({
      eventBusName: 'MangaAssist-AI-Events',
      endpoint: await silentEndpoint(),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestTimeoutMs: 50,
    });
    const published = settlesWithin(
      publisher.publish([{ source: 'mangaassist.payments', detailType: 'PaymentCompleted', detail: {} }]),
      10_000,
      'a PutEvents to a silent endpoint',
    );

    await expect(published).rejects.toBeInstanceOf(EventPublishError);
    await expect(published).rejects.toMatchObject({
      failed: [expect.objectContaining({ errorCode: 'TimeoutError' })],
    });
    close();
  });
});
