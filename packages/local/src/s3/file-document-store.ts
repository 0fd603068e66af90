import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobLimits } from '@mangaassist/contracts';
import { assertRange, type DocumentStore, type PresignedUpload } from '@mangaassist/jobs';

/** Where the dev server serves the local bucket: `PUT` and `GET` of `/_local/s3/<key>`. */
export const localDocumentPathPrefix = '/_local/s3/';

/** The methods a local presigned URL may be signed for. */
export type PresignedMethod = 'PUT' | 'GET';

/** What `verifyPresigned` says about a request: go ahead, or refuse it as S3 would. */
export type PresignedVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 403; readonly code: string; readonly message: string };

/** What `receiveUpload` did with a body: stored it, or refused it whole for its size. */
export type UploadOutcome =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly status: 413; readonly code: 'EntityTooLarge'; readonly message: string };

export interface FileDocumentStoreOptions {
  /** The directory that holds the documents; created on the first write. */
  readonly directory: string;
  /** The dev server's URL (`http://127.0.0.1:3000`), known only once it listens; presigned URLs start with it. */
  readonly baseUrl: () => string;
  /** The HMAC-SHA256 key of presigned URLs. @default - 32 random bytes (URLs die with the process) */
  readonly secret?: Uint8Array;
  /** Epoch milliseconds, for URL expiry. @default Date.now */
  readonly now?: () => number;
  /** The largest body `receiveUpload` stores. @default jobLimits.maxDocumentBytes (20 MB) */
  readonly maxBytes?: number;
}

/** File names past this many bytes are replaced by a hash of the key (most file systems stop at 255). */
const maxEncodedNameBytes = 200;

/** Longest a presigned URL may live, as S3's SigV4 allows: 7 days. */
const maxExpiresInSeconds = 7 * 24 * 3600;

/**
 * The document-store port on a local directory: `pnpm dev`'s stand-in for the documents bucket
 * (documents reach 20 MB, so they live in files, not in the dev server's heap).
 *
 * - Every key is ONE file directly under `directory` (see `fileNameOf`): a key can neither
 *   escape the directory nor collide with another key, case-insensitive file systems included.
 *   A key that is empty, absolute, has an empty, `.` or `..` segment, or holds a control
 *   character is refused with `RangeError` (no `documentKeys` key is any of these).
 * - Writes go to a temporary file that is then renamed over the document, so a reader sees the
 *   old or the new document, never part of one; of concurrent writes to a key, one wins whole.
 * - Presigned URLs point at the dev server (`<baseUrl>/_local/s3/<key>?expires=…&signature=…`,
 *   an HMAC-SHA256 of method, key and expiry); the dev server's route checks them with
 *   `verifyPresigned` and stores a `PUT` with `receiveUpload`, which, unlike S3, refuses a body
 *   over `maxBytes` (413) and keeps nothing of it.
 *
 * @example
 * const documents = new FileDocumentStore({ directory: '.dev/documents', baseUrl: () => server.url });
 */
export class FileDocumentStore implements DocumentStore {
  readonly #directory: string;
  readonly #baseUrl: () => string;
  readonly #secret: Uint8Array;
  readonly #now: () => number;
  readonly #maxBytes: number;
  /** Whether `temporary()` made the directory, and so `dispose()` removes it. */
  #ownsDirectory = false;

  /** Throws `RangeError` for an empty directory or secret, or a `maxBytes` that is not a positive integer. */
  constructor(options: FileDocumentStoreOptions) {
    if (options.directory === '') throw new RangeError('directory must not be empty');
    if (options.secret !== undefined && options.secret.length === 0) {
      throw new RangeError('secret must not be empty');
    }
    const maxBytes = options.maxBytes ?? jobLimits.maxDocumentBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.#directory = options.directory;
    this.#baseUrl = options.baseUrl;
    this.#secret = options.secret ?? randomBytes(32);
    this.#now = options.now ?? Date.now;
    this.#maxBytes = maxBytes;
  }

  /**
   * A store in a fresh directory under the OS's temporary directory, which `dispose()` removes
   * (tests, throwaway dev sessions).
   */
  static async temporary(options: Omit<FileDocumentStoreOptions, 'directory'>): Promise<FileDocumentStore> {
    const store = new FileDocumentStore({
      ...options,
      directory: await mkdtemp(join(tmpdir(), 'mangaassist-documents-')),
    });
    store.#ownsDirectory = true;
    return store;
  }

  /** The directory that holds the documents. */
  get directory(): string {
    return this.#directory;
  }

  async presignUpload(key: string, options: { readonly expiresInSeconds: number }): Promise<PresignedUpload> {
    return {
      url: this.#presign('PUT', key, options.expiresInSeconds),
      expiresInSeconds: options.expiresInSeconds,
    };
  }

  async presignDownload(key: string, options: { readonly expiresInSeconds: number }): Promise<string> {
    return this.#presign('GET', key, options.expiresInSeconds);
  }

  async size(key: string): Promise<number | undefined> {
    const path = this.#pathOf(key);
    return ifExists(async () => (await stat(path)).size);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.#pathOf(key);
    const contents = await ifExists(() => readFile(path));
    return contents && new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    assertRange(start, end);
    const path = this.#pathOf(key);
    const file = await ifExists(() => open(path, 'r'));
    if (file === undefined) return undefined;
    try {
      const buffer = new Uint8Array(end - start);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await file.close();
    }
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    const path = this.#pathOf(key);
    await this.#writeAtomically(path, async (temporary) => {
      await writeFile(temporary, body, { flag: 'wx' });
      return true;
    });
  }

  /**
   * Checks a request to a presigned URL: its `expires` and `signature` parameters must be the
   * ones this store signed for `method` and `key` (compared in constant time), and it must not
   * have expired. A malformed key is refused like a bad signature: no URL was ever signed for it.
   */
  verifyPresigned(method: PresignedMethod, key: string, query: URLSearchParams): PresignedVerdict {
    const expires = query.get('expires');
    const signature = query.get('signature');
    if (expires === null || signature === null) {
      return refusal(
        'AccessDenied',
        'Query-string authentication requires the expires and signature parameters.',
      );
    }
    if (!/^\d{1,15}$/u.test(expires) || !/^[0-9a-f]{64}$/u.test(signature) || keyProblem(key) !== undefined) {
      return refusal('SignatureDoesNotMatch', 'The request signature does not match.');
    }
    const expected = Buffer.from(this.#signature(method, key, expires), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      return refusal('SignatureDoesNotMatch', 'The request signature does not match.');
    }
    // Checked after the signature, so that an expiry pushed into the future never gets this far.
    if (this.#now() >= Number(expires) * 1000) return refusal('AccessDenied', 'Request has expired.');
    return { ok: true };
  }

  /**
   * Streams a presigned `PUT`'s body into `key`: to a temporary file, renamed over the document
   * once complete. At `maxBytes + 1` bytes it stops reading (ending the iteration, which destroys
   * a stream such as the request: answer the 413 with `Connection: close`), deletes what it wrote
   * and answers 413, leaving any earlier document under `key` as it was. Check the signature
   * first (`verifyPresigned`); a route may also refuse a too-large `Content-Length` up front.
   * Throws `RangeError` for a malformed key, and whatever `body` throws (the upload is dropped).
   */
  async receiveUpload(key: string, body: AsyncIterable<Uint8Array>): Promise<UploadOutcome> {
    const path = this.#pathOf(key);
    let bytes = 0;
    let tooLarge = false;
    await this.#writeAtomically(path, async (temporary) => {
      const file = await open(temporary, 'wx');
      try {
        for await (const chunk of body) {
          bytes += chunk.byteLength;
          if (bytes > this.#maxBytes) {
            tooLarge = true;
            break;
          }
          await file.write(chunk);
        }
      } finally {
        await file.close();
      }
      return !tooLarge;
    });
    if (tooLarge) {
      return {
        ok: false,
        status: 413,
        code: 'EntityTooLarge',
        message: `A document may hold at most ${this.#maxBytes} bytes.`,
      };
    }
    return { ok: true, bytes };
  }

  /** Nothing to release: the documents stay for the next run. */
  async close(): Promise<void> {}

  /** Removes the directory if `temporary()` made it; otherwise the same as `close()`. */
  async dispose(): Promise<void> {
    await this.close();
    if (this.#ownsDirectory) await rm(this.#directory, { recursive: true, force: true });
  }

  #presign(method: PresignedMethod, key: string, expiresInSeconds: number): string {
    assertKey(key);
    if (
      !Number.isSafeInteger(expiresInSeconds) ||
      expiresInSeconds < 1 ||
      expiresInSeconds > maxExpiresInSeconds
    ) {
      throw new RangeError(
        `expiresInSeconds must be a whole number from 1 to ${maxExpiresInSeconds}, got ${expiresInSeconds}`,
      );
    }
    // Rounded up, so that a URL lives at least the time asked for.
    const expires = String(Math.ceil(this.#now() / 1000) + expiresInSeconds);
    const query = new URLSearchParams({ expires, signature: this.#signature(method, key, expires) });
    return `${this.#baseUrl().replace(/\/+$/u, '')}${localDocumentPath(key)}?${query}`;
  }

  #signature(method: PresignedMethod, key: string, expires: string): string {
    // Newlines cannot occur in a method, a key (control characters are refused) or an expiry,
    // so no two (method, key, expires) sign the same text.
    return createHmac('sha256', this.#secret).update(`${method}\n${key}\n${expires}`).digest('hex');
  }

  #pathOf(key: string): string {
    assertKey(key);
    return join(this.#directory, fileNameOf(key));
  }

  /**
   * Has `write` fill a fresh temporary file beside `path`, then renames it over `path` (atomic
   * within one file system) when `write` answers `true`. The temporary file is gone afterwards
   * either way, also when `write` throws.
   */
  async #writeAtomically(path: string, write: (temporary: string) => Promise<boolean>): Promise<void> {
    // Every time, not once: a developer may clear the directory while the dev server runs.
    await mkdir(this.#directory, { recursive: true });
    // Temporary names start with a dot, which no encoded key does.
    const temporary = join(this.#directory, `.partial-${randomUUID()}`);
    try {
      if (await write(temporary)) await rename(temporary, path);
    } finally {
      await unlink(temporary).catch(ignoreMissing);
    }
  }
}

/**
 * The file name of `key`: the key with every byte outside `a-z 0-9 . _ -` percent-encoded
 * (uppercase letters too, so that keys differing in case stay apart on case-insensitive file
 * systems, and a leading `.`, so that no key looks like a temporary file). No name holds a `/`,
 * so none leaves the directory. A name longer than 200 bytes becomes `~` and the key's SHA-256
 * (`~` is always encoded, so no short key's name starts with it).
 */
export function fileNameOf(key: string): string {
  let name = '';
  for (const byte of new TextEncoder().encode(key)) {
    const plain =
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x5f ||
      byte === 0x2d ||
      (byte === 0x2e && name !== '');
    name += plain ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name.length <= maxEncodedNameBytes ? name : `~${createHash('sha256').update(key).digest('hex')}`;
}

/** The URL path of `key` on the dev server: `/_local/s3/` and the key, each segment percent-encoded. */
export function localDocumentPath(key: string): string {
  return `${localDocumentPathPrefix}${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The key a dev-server path names (the inverse of `localDocumentPath`), or `undefined` when the
 * path is not under `/_local/s3/`, is not valid percent-encoding or names no acceptable key.
 */
export function keyFromLocalDocumentPath(pathname: string): string | undefined {
  if (!pathname.startsWith(localDocumentPathPrefix)) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(pathname.slice(localDocumentPathPrefix.length));
  } catch {
    return undefined;
  }
  return keyProblem(key) === undefined ? key : undefined;
}

function assertKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new RangeError(`Not a document key (${problem}): ${JSON.stringify(key)}`);
}

function keyProblem(key: string): string | undefined {
  if (key === '') return 'empty';
  if (key.startsWith('/') || /^[A-Za-z]:/u.test(key)) return 'absolute';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f]/u.test(key)) return 'a control character';
  if (key.includes('\\')) return 'a backslash';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'an empty, . or .. segment';
  }
  return undefined;
}

function refusal(code: string, message: string): PresignedVerdict {
  return { ok: false, status: 403, code, message };
}

/** `read()`'s value, or `undefined` when the file does not exist. */
async function ifExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
