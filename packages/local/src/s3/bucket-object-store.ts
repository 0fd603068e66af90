import type { BatchObjectStore } from '../bedrock-emulator/index.js';

/** The name `pnpm dev` gives its documents bucket in `s3://` URIs (the deployed one's, for stage `local`). */
export const localDocumentsBucket = 'mangaassist-local-documents';

/** What a bucket holds, by key: the document store's `get` and `put`. */
export interface KeyedObjects {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, body: Uint8Array): Promise<void>;
}

/** Thrown for an object of a bucket `pnpm dev` does not have: S3 would deny the write. */
export class UnknownBucketError extends Error {
  override readonly name = 'UnknownBucketError';

  constructor(readonly bucket: string) {
    super(`pnpm dev has no bucket ${bucket}; its only bucket is ${localDocumentsBucket}`);
  }
}

/**
 * The objects of one named bucket as the Bedrock emulator's batch jobs read and write them
 * (`s3://<bucket>/<key>`): `pnpm dev` hands its documents store over as `localDocumentsBucket`, so
 * a job's input and output live beside the jobs' documents. Another bucket has no objects, and
 * writing to one throws `UnknownBucketError` (the job fails, as it would without access).
 */
export function bucketObjectStore(bucket: string, objects: KeyedObjects): BatchObjectStore {
  return {
    async get(named, key) {
      return named === bucket ? objects.get(key) : undefined;
    },
    async put(named, key, body) {
      if (named !== bucket) throw new UnknownBucketError(named);
      await objects.put(key, body);
    },
  };
}
