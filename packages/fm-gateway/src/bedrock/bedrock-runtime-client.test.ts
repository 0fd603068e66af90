import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { createBedrockRuntimeClient } from './bedrock-runtime-client.js';

describe('createBedrockRuntimeClient', () => {
  it("turns the SDK's own retries off", async () => {
    const client = createBedrockRuntimeClient({ region: 'ap-northeast-1' });

    expect(await client.config.maxAttempts()).toBe(1);
  });

  it('uses the given region', async () => {
    const client = createBedrockRuntimeClient({ region: 'ap-northeast-3' });

    expect(await client.config.region()).toBe('ap-northeast-3');
  });

  it('sends to a custom endpoint when one is given', async () => {
    const client = createBedrockRuntimeClient({
      region: 'ap-northeast-1',
      endpoint: 'http://127.0.0.1:4010',
    });

    expect(client.config.endpoint).toBeDefined();
    expect(await client.config.endpoint?.()).toMatchObject({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4010,
    });
  });

  it('leaves the endpoint to the SDK when none is given', () => {
    const client = createBedrockRuntimeClient({ region: 'ap-northeast-1' });

    expect(client.config.endpoint).toBeUndefined();
  });

  it('uses the given static credentials', async () => {
    const client = createBedrockRuntimeClient({
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
    });

    expect(await client.config.credentials()).toMatchObject({
      accessKeyId: 'local',
      secretAccessKey: 'local-secret',
    });
  });

  it('uses the Node HTTP/1.1 handler by default', () => {
    const client = createBedrockRuntimeClient({ region: 'ap-northeast-1' });

    expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
  });

  it('uses the HTTP/1.1 handler when http1 is asked for', () => {
    const client = createBedrockRuntimeClient({
      region: 'ap-northeast-1',
      transport: 'http1',
      maxSockets: 8,
    });

    expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
  });

  it("keeps the SDK's default HTTP/2 handler when http2 is asked for", () => {
    const client = createBedrockRuntimeClient({ region: 'ap-northeast-1', transport: 'http2' });

    expect(client.config.requestHandler).toBeInstanceOf(NodeHttp2Handler);
    expect(client.config.requestHandler).not.toBeInstanceOf(NodeHttpHandler);
  });

  it('builds a separate handler for every client', () => {
    const first = createBedrockRuntimeClient({ region: 'ap-northeast-1' });
    const second = createBedrockRuntimeClient({ region: 'us-east-1' });

    expect(first.config.requestHandler).not.toBe(second.config.requestHandler);
  });
});
