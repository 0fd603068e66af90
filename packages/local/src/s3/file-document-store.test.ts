import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobLimits } from '@mangaassist/contracts';
import { documentKeys } from '@mangaassist/jobs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FileDocumentStore,
  type FileDocumentStoreOptions,
  fileNameOf,
  keyFromLocalDocumentPath,
  localDocumentPath,
} from './file-document-store.js';

const baseUrl = 'http://127.0.0.1:4010';
const issuedAt = Date.parse('2025-04-01T09:00:00Z');
const uploadKey = documentKeys.upload('tenant-a', 'upl_abcdefghijklmnopqrstuvwxyz');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function makeStore(options: Partial<Omit<FileDocumentStoreOptions, 'directory'>> = {}) {
  let now = issuedAt;
  const store = await FileDocumentStore.temporary({ baseUrl: () => baseUrl, now: () => now, ...options });
  cleanups.push(() => store.dispose());
  return {
    store,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A fresh directory that the test removes, for stores that must not own theirs. */
async function scratchDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'file-document-store-test-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** `count` chunks of `chunkBytes`, counting how many were pulled. */
function chunks(count: number, chunkBytes: number) {
  const source = {
    pulled: 0,
    async *[Symbol.asyncIterator]() {
      for (let index = 0; index < count; index++) {
        source.pulled++;
        yield new Uint8Array(chunkBytes).fill(index % 256);
      }
    },
  };
  return source;
}

const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

/** The URL's key and query, as the dev server's route reads them. */
function requestOf(url: string) {
  const parsed = new URL(url);
  return { key: keyFromLocalDocumentPath(parsed.pathname), query: parsed.searchParams };
}

describe('FileDocumentStore', () => {
  it('gives back what was put, a string as UTF-8', async () => {
    const { store } = await makeStore();

    await store.put(documentKeys.jobDocument('job_1'), 'ワンピース 第108巻');
    await store.put(documentKeys.result('job_1'), new Uint8Array([0, 1, 255]));

    expect(text(await store.get(documentKeys.jobDocument('job_1')))).toBe('ワンピース 第108巻');
    expect(await store.get(documentKeys.result('job_1'))).toEqual(new Uint8Array([0, 1, 255]));
  });

  it('reports an object’s size in bytes', async () => {
    const { store } = await makeStore();

    await store.put('jobs/job_1/document.txt', '漫画');

    expect(await store.size('jobs/job_1/document.txt')).toBe(6);
  });

  it('answers undefined for the size and bytes of a missing object', async () => {
    const { store } = await makeStore();

    expect(await store.size('jobs/job_1/document.txt')).toBeUndefined();
    expect(await store.get('jobs/job_1/document.txt')).toBeUndefined();
  });

  it('reads a byte range: fewer bytes where the object ends, none past it, undefined when missing', async () => {
    const { store } = await makeStore();
    await store.put('k', '0123456789');

    expect(text(await store.getRange('k', 2, 5))).toBe('234');
    expect(text(await store.getRange('k', 7, 100))).toBe('789');
    expect(await store.getRange('k', 10, 20)).toEqual(new Uint8Array());
    expect(await store.getRange('k', 4, 4)).toEqual(new Uint8Array());
    expect(await store.getRange('missing', 0, 10)).toBeUndefined();
    await expect(store.getRange('k', 5, 4)).rejects.toThrow(RangeError);
  });

  it('replaces an object when it is put again', async () => {
    const { store } = await makeStore();

    await store.put('k', 'first, and longer');
    await store.put('k', 'second');

    expect(text(await store.get('k'))).toBe('second');
  });

  it('leaves the documents in place on close, and removes the directory it made on dispose', async () => {
    const directory = await scratchDirectory();
    const kept = new FileDocumentStore({ directory, baseUrl: () => baseUrl });
    await kept.put('k', 'stays');
    await kept.close();
    await kept.dispose();
    expect(text(await new FileDocumentStore({ directory, baseUrl: () => baseUrl }).get('k'))).toBe('stays');

    const temporary = await FileDocumentStore.temporary({ baseUrl: () => baseUrl });
    await temporary.put('k', 'goes');
    await temporary.dispose();
    await expect(stat(temporary.directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a maxBytes that is not a positive integer', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => new FileDocumentStore({ directory: '/tmp/x', baseUrl: () => baseUrl, maxBytes })).toThrow(
        RangeError,
      );
    }
  });
});

describe('FileDocumentStore presigned URLs', () => {
  it('presigns an upload to the dev server’s /_local/s3/ route that expires after the given time', async () => {
    const { store } = await makeStore();

    const upload = await store.presignUpload(uploadKey, { expiresInSeconds: jobLimits.uploadUrlSeconds });

    const url = new URL(upload.url);
    expect(upload.expiresInSeconds).toBe(900);
    expect(url.origin).toBe(baseUrl);
    expect(url.pathname).toBe('/_local/s3/uploads/tenant-a/upl_abcdefghijklmnopqrstuvwxyz');
    expect(url.searchParams.get('expires')).toBe(String(issuedAt / 1000 + 900));
    expect(url.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads the server’s URL when it presigns, since it is known only once the server listens', async () => {
    let url = 'http://127.0.0.1:0';
    const { store } = await makeStore({ baseUrl: () => url });
    url = 'http://127.0.0.1:4321/';

    const upload = await store.presignUpload('k', { expiresInSeconds: 60 });

    expect(upload.url.startsWith('http://127.0.0.1:4321/_local/s3/k?')).toBe(true);
  });

  it('accepts a PUT to its upload URL and a GET of its download URL', async () => {
    const { store } = await makeStore();
    const upload = requestOf((await store.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);
    const download = requestOf(await store.presignDownload(uploadKey, { expiresInSeconds: 900 }));

    expect(upload.key).toBe(uploadKey);
    expect(store.verifyPresigned('PUT', uploadKey, upload.query)).toEqual({ ok: true });
    expect(store.verifyPresigned('GET', uploadKey, download.query)).toEqual({ ok: true });
  });

  it('round-trips a key with a percent-encoded tenant through the URL path', async () => {
    const { store } = await makeStore();
    const key = documentKeys.upload('tenant/with space?', 'upl_x');

    const { key: routed, query } = requestOf((await store.presignUpload(key, { expiresInSeconds: 900 })).url);

    expect(routed).toBe(key);
    expect(store.verifyPresigned('PUT', key, query)).toEqual({ ok: true });
  });

  it('refuses an upload URL used for another key', async () => {
    const { store } = await makeStore();
    const { query } = requestOf((await store.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);

    expect(store.verifyPresigned('PUT', documentKeys.upload('tenant-b', 'upl_x'), query)).toMatchObject({
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses an upload URL whose expiry was pushed later', async () => {
    const { store } = await makeStore();
    const { query } = requestOf((await store.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);
    query.set('expires', String(Number(query.get('expires')) + 3600));

    expect(store.verifyPresigned('PUT', uploadKey, query)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses a signature changed in one character, or cut short', async () => {
    const { store } = await makeStore();
    const { query } = requestOf((await store.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);
    const signature = query.get('signature') ?? '';
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;

    for (const tampered of [flipped, signature.slice(0, 32), signature.toUpperCase(), '']) {
      const forged = new URLSearchParams(query);
      forged.set('signature', tampered);
      expect(store.verifyPresigned('PUT', uploadKey, forged)).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('refuses an upload URL used to read, and a download URL used to write', async () => {
    const { store } = await makeStore();
    const upload = requestOf((await store.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);
    const download = requestOf(await store.presignDownload(uploadKey, { expiresInSeconds: 900 }));

    expect(store.verifyPresigned('GET', uploadKey, upload.query)).toMatchObject({ ok: false });
    expect(store.verifyPresigned('PUT', uploadKey, download.query)).toMatchObject({ ok: false });
  });

  it('refuses a URL signed by another store’s secret', async () => {
    const { store } = await makeStore({ secret: randomBytes(32) });
    const { store: other } = await makeStore({ secret: randomBytes(32) });
    const { query } = requestOf((await other.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);

    expect(store.verifyPresigned('PUT', uploadKey, query)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses a request without an expiry or a signature', async () => {
    const { store } = await makeStore();

    expect(store.verifyPresigned('GET', uploadKey, new URLSearchParams())).toMatchObject({
      ok: false,
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('accepts an upload URL until its last millisecond, and refuses it from then on', async () => {
    const { store, advance } = await makeStore();
    const { query } = requestOf((await store.presignUpload(uploadKey, { expiresInSeconds: 900 })).url);

    advance(900_000 - 1);
    expect(store.verifyPresigned('PUT', uploadKey, query)).toEqual({ ok: true });
    advance(1);
    expect(store.verifyPresigned('PUT', uploadKey, query)).toEqual({
      ok: false,
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired.',
    });
  });

  it('refuses an expiry that is not a whole number of seconds from 1 to 7 days', async () => {
    const { store } = await makeStore();

    for (const expiresInSeconds of [0, 1.5, 7 * 24 * 3600 + 1]) {
      await expect(store.presignUpload('k', { expiresInSeconds })).rejects.toThrow(RangeError);
    }
  });
});

describe('FileDocumentStore.receiveUpload', () => {
  it('streams an upload into the object and reports its size', async () => {
    const { store } = await makeStore();

    const outcome = await store.receiveUpload(uploadKey, chunks(3, 1000));

    expect(outcome).toEqual({ ok: true, bytes: 3000 });
    expect(await store.size(uploadKey)).toBe(3000);
    expect((await store.get(uploadKey))?.[2999]).toBe(2);
  });

  it('accepts an upload of exactly maxBytes', async () => {
    const { store } = await makeStore({ maxBytes: 4096 });

    expect(await store.receiveUpload(uploadKey, chunks(4, 1024))).toEqual({ ok: true, bytes: 4096 });
  });

  it('refuses a 21 MB upload with 413, stops reading it and leaves nothing behind', async () => {
    const { store } = await makeStore();
    const body = chunks(30, 1024 * 1024);

    const outcome = await store.receiveUpload(uploadKey, body);

    expect(outcome).toMatchObject({ ok: false, status: 413, code: 'EntityTooLarge' });
    expect(body.pulled).toBe(21);
    expect(await store.size(uploadKey)).toBeUndefined();
    expect(await readdir(store.directory)).toEqual([]);
  });

  it('refuses an upload one byte over maxBytes and keeps the document that was there', async () => {
    const { store } = await makeStore({ maxBytes: 4096 });
    await store.put(uploadKey, 'the earlier upload');

    const outcome = await store.receiveUpload(uploadKey, chunks(1, 4097));

    expect(outcome).toMatchObject({ ok: false, status: 413 });
    expect(text(await store.get(uploadKey))).toBe('the earlier upload');
    expect(await readdir(store.directory)).toHaveLength(1);
  });

  it('keeps nothing of an upload whose body fails halfway', async () => {
    const { store } = await makeStore();
    async function* broken() {
      yield new Uint8Array(1000);
      throw new Error('aborted');
    }

    await expect(store.receiveUpload(uploadKey, broken())).rejects.toThrow('aborted');

    expect(await readdir(store.directory)).toEqual([]);
  });
});

describe('FileDocumentStore keys', () => {
  const hostileKeys = [
    '',
    '../escaped',
    'uploads/../../escaped',
    'uploads/..',
    './escaped',
    '/etc/passwd',
    'C:\\Windows\\escaped',
    'uploads\\..\\escaped',
    'uploads//double',
    'nul\u0000byte',
    'new\nline',
  ];

  it.each(hostileKeys)('refuses the key %j for every operation, writing nothing anywhere', async (key) => {
    const root = await scratchDirectory();
    const directory = join(root, 'documents');
    const store = new FileDocumentStore({ directory, baseUrl: () => baseUrl });

    await expect(store.put(key, 'x')).rejects.toThrow(RangeError);
    await expect(store.receiveUpload(key, chunks(1, 10))).rejects.toThrow(RangeError);
    await expect(store.get(key)).rejects.toThrow(RangeError);
    await expect(store.size(key)).rejects.toThrow(RangeError);
    await expect(store.presignUpload(key, { expiresInSeconds: 60 })).rejects.toThrow(RangeError);
    expect(
      store.verifyPresigned(
        'PUT',
        key,
        new URLSearchParams({ expires: '9999999999', signature: 'a'.repeat(64) }),
      ),
    ).toMatchObject({ ok: false, status: 403 });
    expect(await readdir(root)).toEqual([]);
  });

  it('stores every odd but acceptable key as one file inside its directory, each apart from the others', async () => {
    const { store } = await makeStore();
    const keys = [
      '..hidden',
      'uploads/..x/y..',
      '.partial-looks-like-a-temporary-file',
      'uploads/%2E%2E%2Fescaped',
      'Readme',
      'readme',
      'README',
      'a/b',
      'a%2Fb',
      '漫画/第1話.txt',
      `long/${'x'.repeat(1000)}`,
      `long/${'x'.repeat(999)}y`,
    ];

    for (const key of keys) await store.put(key, key);

    for (const key of keys) expect(text(await store.get(key))).toBe(key);
    const files = await readdir(store.directory);
    expect(files).toHaveLength(keys.length);
    for (const file of files) {
      expect(file).not.toMatch(/[/\\]|^\./);
      expect(Buffer.byteLength(file)).toBeLessThanOrEqual(255);
    }
  });

  it('names files with lowercase letters, digits, . _ - and uppercase percent escapes only', () => {
    expect(fileNameOf('jobs/job_1/round-0/3.txt')).toBe('jobs%2Fjob_1%2Fround-0%2F3.txt');
    expect(fileNameOf('.env')).toBe('%2Eenv');
    expect(fileNameOf('Aa')).toBe('%41a');
    expect(fileNameOf('漫')).toBe('%E6%BC%AB');
  });

  it.each([
    ['/_local/s3/..%2F..%2Fetc%2Fpasswd', 'a .. segment'],
    ['/_local/s3/%2Fetc%2Fpasswd', 'an absolute key'],
    ['/_local/s3/a%00b', 'a NUL byte'],
    ['/_local/s3/%E6%BC', 'broken percent-encoding'],
    ['/_local/s3/', 'no key'],
    ['/elsewhere/k', 'another route'],
  ])('finds no key in the path %s (%s)', (path) => {
    expect(keyFromLocalDocumentPath(path)).toBeUndefined();
  });

  it('builds the route path a key is served at, and reads the key back from it', () => {
    const key = documentKeys.upload('a/b', 'upl_x');

    expect(localDocumentPath(key)).toBe('/_local/s3/uploads/a%252Fb/upl_x');
    expect(keyFromLocalDocumentPath(localDocumentPath(key))).toBe(key);
  });
});

describe('FileDocumentStore under concurrency', () => {
  it('leaves one complete version when many puts to the same key race, and readers never see part of one', async () => {
    const { store } = await makeStore();
    const key = documentKeys.jobDocument('job_race');
    // Several MB each: Node writes a file in 512 KiB pieces, so a write in place would be seen half done.
    const size = 4 * 1024 * 1024;
    const versions = Array.from({ length: 8 }, (_, index) => new Uint8Array(size).fill(index + 1));
    await store.put(key, new Uint8Array(size));

    const reads: (Uint8Array | undefined)[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) reads.push(await store.get(key));
    })();
    await Promise.all(versions.map((version) => store.put(key, version)));
    writing = false;
    await reader;

    const final = await store.get(key);
    expect(versions.some((version) => Buffer.compare(version, final ?? new Uint8Array()) === 0)).toBe(true);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read?.byteLength).toBe(size);
      expect(read?.every((byte) => byte === read[0])).toBe(true);
    }
    expect(await readdir(store.directory)).toHaveLength(1);
  });
});
