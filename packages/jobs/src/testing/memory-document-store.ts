import type { DocumentStore, PresignedUpload } from '../document-store.js';

/** A `DocumentStore` in a map, for tests: presigned URLs are `memory://put/<key>` and `memory://get/<key>`. */
export class MemoryDocumentStore implements DocumentStore {
  readonly objects = new Map<string, Uint8Array>();
  /** Keys read with `get`, in order, to see what a step read. */
  readonly reads: string[] = [];

  async presignUpload(key: string, options: { readonly expiresInSeconds: number }): Promise<PresignedUpload> {
    return { url: `memory://put/${key}`, expiresInSeconds: options.expiresInSeconds };
  }

  async size(key: string): Promise<number | undefined> {
    return this.objects.get(key)?.byteLength;
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body.slice());
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.reads.push(key);
    return this.objects.get(key)?.slice();
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    this.reads.push(key);
    return this.objects.get(key)?.slice(start, end);
  }

  async presignDownload(key: string): Promise<string> {
    return `memory://get/${key}`;
  }

  /** The object as text, or `undefined`. */
  text(key: string): string | undefined {
    const bytes = this.objects.get(key);
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  }
}
