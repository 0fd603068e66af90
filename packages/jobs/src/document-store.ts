/** A presigned upload: whoever holds the URL may PUT one document there until it expires. */
export interface PresignedUpload {
  readonly url: string;
  readonly expiresInSeconds: number;
}

/** The document store could not be reached (503, or a step the state machine retries). */
export class DocumentStoreUnavailableError extends Error {
  override readonly name = 'DocumentStoreUnavailableError';
}

/**
 * Where documents, chunks, partial answers and results live (deployed: an S3 bucket). The state
 * machine's states carry these keys, never the texts (claim check: no state nears 256 KB).
 */
export interface DocumentStore {
  /**
   * A URL that accepts a `PUT` of the document to `key` for `expiresInSeconds`. A presigned PUT
   * cannot bound its size: whoever reads the upload checks `size` first.
   */
  presignUpload(key: string, options: { readonly expiresInSeconds: number }): Promise<PresignedUpload>;
  /** The object's size in bytes, or `undefined` when there is none. */
  size(key: string): Promise<number | undefined>;
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** The object's bytes, or `undefined` when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * Bytes `start` to `end` (exclusive) of the object: fewer where it ends first, none from its
   * end on; `undefined` when there is none. Reads a large object a window at a time.
   */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;
  /** A URL that reads `key` for `expiresInSeconds` (a result too long to inline). */
  presignDownload(key: string, options: { readonly expiresInSeconds: number }): Promise<string>;
}

/** Throws `RangeError` unless `start` and `end` are integers with `0 <= start <= end`. */
export function assertRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`not a byte range: ${start} to ${end}`);
  }
}

/** The documents store's keys: uploads per tenant, everything of a job under the job. */
export const documentKeys = {
  upload: (tenantId: string, uploadId: string) => `uploads/${encodeURIComponent(tenantId)}/${uploadId}`,
  jobDocument: (jobId: string) => `jobs/${jobId}/document.txt`,
  /** A round's input: round 0 chunks the document, each later round the answers of the one before. */
  chunk: (jobId: string, round: number, index: number) => `jobs/${jobId}/round-${round}/${index}.txt`,
  /** What the model answered for a chunk (JSON: text, model, usage, cost): also its checkpoint. */
  answer: (jobId: string, round: number, index: number) =>
    `jobs/${jobId}/round-${round}/${index}.answer.json`,
  result: (jobId: string) => `jobs/${jobId}/result.txt`,
} as const;
