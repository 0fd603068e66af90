import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { errorMessage } from '@mangaassist/commons';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import {
  assertRange,
  type DocumentStore,
  DocumentStoreUnavailableError,
  type PresignedUpload,
} from '../document-store.js';

export interface S3DocumentStoreOptions {
  /**
   * The client every call and every presigned URL goes through. It must not add flexible
   * checksums to requests that do not require them (`requestChecksumCalculation:
   * 'WHEN_REQUIRED'`, as `createS3Client` sets): see `presignUpload`.
   */
  readonly client: S3Client;
  /** The documents bucket's name. */
  readonly bucket: string;
}

/**
 * Query parameters that pin a presigned PUT to one body. With the SDK's default
 * `requestChecksumCalculation: 'WHEN_SUPPORTED'` (since 3.729.0), `getSignedUrl` signs
 * `x-amz-sdk-checksum-algorithm=CRC32` and `x-amz-checksum-crc32=AAAAAA==` into a PutObject URL:
 * the CRC32 of the EMPTY body the command had at signing time. S3-compatible stores (MinIO, R2,
 * Garage, SeaweedFS, some emulators) then refuse any real document with a checksum mismatch, and
 * reports disagree on whether S3 itself ignores the parameter; either way the URL promises a
 * checksum no uploader will match. A client with `'WHEN_REQUIRED'` signs neither parameter.
 */
const bodyPinningParameters = /^x-amz-(?:checksum-|sdk-checksum-algorithm$)/iu;

/** Error names under which S3 says "not now" rather than "never". */
const transientErrorNames: ReadonlySet<string> = new Set([
  'SlowDown',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
]);

/** Socket and DNS error codes of a request that never got an answer. */
const networkErrorCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** A missing object: `HeadObject` has no body to name it, so it says `NotFound`; `GetObject` says `NoSuchKey`. */
const missingObjectNames: ReadonlySet<string> = new Set(['NotFound', 'NoSuchKey']);

/**
 * The document-store port on an S3 bucket. Objects are encrypted by the bucket's default
 * encryption (no per-request `ServerSideEncryption`), strings are stored as
 * `text/plain; charset=utf-8` and bytes as `application/octet-stream`.
 *
 * Errors: throttling (`SlowDown`, 429, 503), server faults (5xx) and network faults (resets,
 * timeouts, DNS) — after the SDK's own retries — throw `DocumentStoreUnavailableError`. Anything
 * else (`AccessDenied`, `NoSuchBucket`, a deserialisation error) is a bug or a misconfiguration
 * and propagates unchanged. A missing object is `undefined` from `size` and `get` only when the
 * role may list the bucket (`s3:ListBucket`, part of `grantRead`): without it S3 answers a
 * missing key with 403 `AccessDenied`, which propagates.
 *
 * Presigned URLs are signed with the client's credentials: signed by a role's temporary
 * credentials, a URL stops working when they expire, even before `expiresInSeconds`.
 *
 * @example
 * const documents = new S3DocumentStore({ client: createS3Client(), bucket: env.DOCUMENTS_BUCKET });
 */
export class S3DocumentStore implements DocumentStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  /** Throws `RangeError` for an empty bucket name. */
  constructor(options: S3DocumentStoreOptions) {
    if (options.bucket.trim() === '') throw new RangeError('bucket must not be empty');
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  /**
   * A presigned `PutObject` URL that accepts any body with a plain `PUT` (no headers needed).
   * Throws `Error` when the client signs a checksum into the URL (a client built without
   * `requestChecksumCalculation: 'WHEN_REQUIRED'`): such a URL only accepts an empty body, so
   * handing it out would fail every upload later, far from the cause.
   */
  async presignUpload(key: string, options: { readonly expiresInSeconds: number }): Promise<PresignedUpload> {
    const url = await this.#call('presign an upload to', key, () =>
      getSignedUrl(this.#client, new PutObjectCommand({ Bucket: this.#bucket, Key: key }), {
        expiresIn: options.expiresInSeconds,
      }),
    );
    const pinned = [...new URL(url).searchParams.keys()].filter((name) => bodyPinningParameters.test(name));
    if (pinned.length > 0) {
      throw new Error(
        `The S3 client signed ${pinned.join(', ')} into an upload URL, which then only accepts an empty ` +
          "body: build it with requestChecksumCalculation: 'WHEN_REQUIRED' (createS3Client does).",
      );
    }
    return { url, expiresInSeconds: options.expiresInSeconds };
  }

  async size(key: string): Promise<number | undefined> {
    const head = await this.#call('read the size of', key, () =>
      this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key })).catch(missingAsUndefined),
    );
    return head === undefined ? undefined : (head.ContentLength ?? 0);
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    await this.#call('write', key, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          ContentType: typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
        }),
      ),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    // The body is read inside the same guard: a connection reset halfway through a 20 MB
    // document is as unavailable as one before the headers.
    return this.#call('read', key, async () => {
      const object = await this.#client
        .send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }))
        .catch(missingAsUndefined);
      if (object === undefined) return undefined;
      return object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    });
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    assertRange(start, end);
    if (end === start) return (await this.size(key)) === undefined ? undefined : new Uint8Array();
    return this.#call('read', key, async () => {
      const object = await this.#client
        .send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end - 1}` }))
        .catch((error: unknown) => {
          // 416: the range starts at or past the end (an empty object included).
          if (error instanceof Error && error.name === 'InvalidRange') return 'past-the-end' as const;
          return missingAsUndefined(error);
        });
      if (object === undefined) return undefined;
      if (object === 'past-the-end' || !object.Body) return new Uint8Array();
      return object.Body.transformToByteArray();
    });
  }

  async presignDownload(key: string, options: { readonly expiresInSeconds: number }): Promise<string> {
    return this.#call('presign a download of', key, () =>
      getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), {
        expiresIn: options.expiresInSeconds,
      }),
    );
  }

  async #call<T>(action: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      throw new DocumentStoreUnavailableError(
        `Could not ${action} s3://${this.#bucket}/${key}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
}

function missingAsUndefined(error: unknown): undefined {
  if (error instanceof Error && missingObjectNames.has(error.name)) return undefined;
  throw error;
}

/**
 * Whether `error` says S3 could not answer now (throttled, failing, unreachable) rather than that
 * the request is wrong. Errors neither AWS-shaped nor from the network are not: they are bugs.
 */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (transientErrorNames.has(error.name)) return true;
  if ('$retryable' in error && error.$retryable !== undefined) return true;
  const status = httpStatus(error);
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  if ('$fault' in error) return error.$fault === 'server';
  const code = 'code' in error ? error.code : undefined;
  return typeof code === 'string' && networkErrorCodes.has(code);
}

function httpStatus(error: Error): number | undefined {
  if (!('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

export interface S3ClientOptions {
  /** AWS region; unset = the SDK's provider chain (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** A custom endpoint (an S3 emulator); unset = AWS. */
  readonly endpoint?: string;
  /** Static credentials (an emulator); unset = the SDK's credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Path-style URLs (`http://host/bucket/key`), which emulators need. @default false */
  readonly forcePathStyle?: boolean;
  /** Connection establishment timeout, ms. @default 1_000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest one attempt may take until the response's headers (a `PutObject` body is sent
   * within it), ms; then it fails with a `TimeoutError` and the SDK may retry it. @default 10_000
   */
  readonly requestTimeoutMs?: number;
}

/**
 * The `S3Client` configuration for `S3DocumentStore`: `requestChecksumCalculation:
 * 'WHEN_REQUIRED'`, so presigned upload URLs carry no checksum of an empty body and accept a
 * plain `PUT` of any document (see `presignUpload`; `PutObject` then sends no CRC32 either, TLS
 * guards the bytes in transit), and short connection and request timeouts so a dead endpoint
 * fails fast.
 */
export function s3ClientConfig(options: S3ClientOptions = {}): S3ClientConfig {
  return {
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    ...(options.forcePathStyle ? { forcePathStyle: true } : {}),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * Builds an `S3Client` configured by `s3ClientConfig`. Build one per process; `destroy()`
 * closes its sockets.
 *
 * @example
 * const client = createS3Client({ region: 'ap-northeast-1' });
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  return traceAwsClient(new S3Client(s3ClientConfig(options)));
}
