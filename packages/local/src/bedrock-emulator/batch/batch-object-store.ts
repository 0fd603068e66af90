/**
 * Where the emulator's batch jobs read their input and write their output: the S3 buckets the
 * job's URIs name. The emulator owns no storage; `pnpm dev` passes its local object store, tests
 * an `InMemoryBatchObjectStore`.
 */
export interface BatchObjectStore {
  /** The object's bytes, or `undefined` when there is no such object. */
  get(bucket: string, key: string): Promise<Uint8Array | undefined>;
  /** Creates or replaces the object. */
  put(bucket: string, key: string, body: Uint8Array): Promise<void>;
}

/** A `BatchObjectStore` in memory, for tests and scripts. */
export class InMemoryBatchObjectStore implements BatchObjectStore {
  private readonly objects = new Map<string, Uint8Array>();

  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(objectName(bucket, key));
  }

  async put(bucket: string, key: string, body: Uint8Array): Promise<void> {
    this.objects.set(objectName(bucket, key), body);
  }

  /** The object's text (UTF-8), or `undefined` when there is no such object. */
  text(bucket: string, key: string): string | undefined {
    const body = this.objects.get(objectName(bucket, key));
    return body === undefined ? undefined : new TextDecoder().decode(body);
  }

  /** Every object's `s3://bucket/key`, sorted. */
  uris(): string[] {
    return [...this.objects.keys()].sort();
  }
}

function objectName(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
