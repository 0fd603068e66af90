import { describe, expect, it } from 'vitest';
import { bucketObjectStore, localDocumentsBucket, UnknownBucketError } from './bucket-object-store.js';
import { FileDocumentStore } from './file-document-store.js';

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

describe('bucketObjectStore', () => {
  it('reads and writes the document store’s objects as those of the named bucket', async () => {
    const documents = await FileDocumentStore.temporary({ baseUrl: () => 'http://127.0.0.1:3000' });
    try {
      const store = bucketObjectStore(localDocumentsBucket, documents);
      await documents.put('batch/run-1/input.jsonl', '{"recordId":"1"}\n');

      expect(text(await store.get(localDocumentsBucket, 'batch/run-1/input.jsonl'))).toBe(
        '{"recordId":"1"}\n',
      );
      await store.put(
        localDocumentsBucket,
        'batch/run-1/out/input.jsonl.out',
        new TextEncoder().encode('done'),
      );
      expect(text(await documents.get('batch/run-1/out/input.jsonl.out'))).toBe('done');
      expect(await store.get(localDocumentsBucket, 'batch/run-2/input.jsonl')).toBeUndefined();
    } finally {
      await documents.dispose();
    }
  });

  it('has no object of another bucket, and refuses to write one', async () => {
    const written: string[] = [];
    const store = bucketObjectStore(localDocumentsBucket, {
      get: async () => new Uint8Array([1]),
      put: async (key) => {
        written.push(key);
      },
    });

    expect(await store.get('someone-elses-bucket', 'input.jsonl')).toBeUndefined();
    await expect(store.put('someone-elses-bucket', 'out', new Uint8Array())).rejects.toThrow(
      UnknownBucketError,
    );
    expect(written).toEqual([]);
  });
});
