import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { pollingSqsClient } from './websocket-stream-worker.js';

describe('pollingSqsClient', () => {
  it('pools a socket per long poll and sixteen more for the deletes and renewals beside them', async () => {
    // SQS's JSON protocol, as far as an empty receive needs it.
    const sqs = createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'),
      );
    });
    await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
    const client = pollingSqsClient(100, {
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await client.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/123456789012/queue` }));

      const handler = client.config.requestHandler as NodeHttpHandler;
      const { httpAgent, httpsAgent, requestTimeout } = handler.httpHandlerConfigs();
      expect([
        (httpAgent as { maxSockets: number }).maxSockets,
        (httpsAgent as { maxSockets: number }).maxSockets,
      ]).toEqual([116, 116]);
      expect(requestTimeout).toBeGreaterThan(20_000);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => sqs.close(() => resolve()));
    }
  });
});
