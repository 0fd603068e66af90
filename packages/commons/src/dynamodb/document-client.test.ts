import { describe, expect, it } from 'vitest';
import { createDocumentClient } from './document-client.js';

describe('createDocumentClient', () => {
  it('drops undefined values when marshalling and returns numbers as numbers', () => {
    const client = createDocumentClient({ region: 'ap-northeast-1' });
    expect(client.config.translateConfig).toEqual({
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: { wrapNumbers: false },
    });
    client.destroy();
  });

  it('uses the given region, endpoint and credentials', async () => {
    const client = createDocumentClient({
      region: 'ap-northeast-3',
      endpoint: 'http://127.0.0.1:8000',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(await client.config.region()).toBe('ap-northeast-3');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'local' });
    const endpoint = await client.config.endpoint?.();
    expect(endpoint).toMatchObject({ hostname: '127.0.0.1', port: 8000, protocol: 'http:' });
    client.destroy();
  });
});
