import { Readable } from 'node:stream';
import {
  AccessDenied,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DocumentStoreUnavailableError, documentKeys } from '../document-store.js';
import { createS3Client, S3DocumentStore, s3ClientConfig } from './s3-document-store.js';

const bucket = 'mangaassist-documents-test';
const region = 'ap-northeast-1';
// Fixed credentials: presigning is local, and a test must not read the machine's AWS profile.
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const s3Mock = mockClient(S3Client);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => s3Mock.restore());

beforeEach(() => {
  s3Mock.reset();
});

function makeStore(client = createS3Client({ region, credentials })) {
  return new S3DocumentStore({ client, bucket });
}

/** A GetObject body as the SDK returns it on Node: a stream with the SDK's transform methods. */
function objectBody(bytes: Uint8Array) {
  return Object.assign(Readable.from([bytes]), {
    transformToByteArray: async () => bytes,
    transformToString: async (encoding?: string) => new TextDecoder(encoding).decode(bytes),
    transformToWebStream: () => new Blob([bytes]).stream(),
  });
}

function s3Error(name: string, status: number, fault: 'client' | 'server') {
  return new S3ServiceException({
    name,
    message: `${name} happened`,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}

const networkReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const metadata = { $metadata: { httpStatusCode: 404 } };

describe('S3DocumentStore', () => {
  it('puts a string as UTF-8 text in the bucket, leaving encryption to the bucket default', async () => {
    s3Mock.on(PutObjectCommand).resolves({});

    await makeStore().put('jobs/job_1/round-0/3.txt', '第1話');

    expect(s3Mock).toReceiveCommandExactlyOnceWith(PutObjectCommand, {
      Bucket: bucket,
      Key: 'jobs/job_1/round-0/3.txt',
      Body: '第1話',
      ContentType: 'text/plain; charset=utf-8',
    });
    const input = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('ServerSideEncryption');
  });

  it('puts bytes as an octet stream', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const bytes = new Uint8Array([0, 1, 2, 255]);

    await makeStore().put('jobs/job_1/result.txt', bytes);

    expect(s3Mock).toReceiveCommandWith(PutObjectCommand, {
      Body: bytes,
      ContentType: 'application/octet-stream',
    });
  });

  it('reads an object’s size from HeadObject', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 20 * 1024 * 1024 });

    expect(await makeStore().size('uploads/tenant-a/upl_x')).toBe(20 * 1024 * 1024);
    expect(s3Mock).toReceiveCommandWith(HeadObjectCommand, { Bucket: bucket, Key: 'uploads/tenant-a/upl_x' });
  });

  it('answers undefined for the size of a missing object (HeadObject’s NotFound)', async () => {
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', ...metadata }));

    expect(await makeStore().size('uploads/tenant-a/upl_missing')).toBeUndefined();
  });

  it('reads an object’s bytes', async () => {
    const bytes = new TextEncoder().encode('ワンピース 第108巻');
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(bytes) });

    expect(await makeStore().get('jobs/job_1/document.txt')).toEqual(bytes);
    expect(s3Mock).toReceiveCommandWith(GetObjectCommand, { Bucket: bucket, Key: 'jobs/job_1/document.txt' });
  });

  it('answers undefined for a missing object (GetObject’s NoSuchKey)', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...metadata }));

    expect(await makeStore().get('jobs/job_1/document.txt')).toBeUndefined();
  });

  it('reads bytes start to end (exclusive) with a Range request', async () => {
    const bytes = new TextEncoder().encode('{"recordId":"r0000000002"}');
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(bytes) });

    expect(await makeStore().getRange('reenrichment/run/out.jsonl', 1_000, 2_000)).toEqual(bytes);
    expect(s3Mock).toReceiveCommandWith(GetObjectCommand, {
      Bucket: bucket,
      Key: 'reenrichment/run/out.jsonl',
      Range: 'bytes=1000-1999',
    });
  });

  it('answers no bytes for a range from the end on (416 InvalidRange), undefined for a missing object', async () => {
    s3Mock.on(GetObjectCommand).rejects(s3Error('InvalidRange', 416, 'client'));
    expect(await makeStore().getRange('k', 10, 20)).toEqual(new Uint8Array());

    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...metadata }));
    expect(await makeStore().getRange('k', 0, 20)).toBeUndefined();
  });

  it('reads an empty range without a GET: no bytes, or undefined when the object is missing', async () => {
    s3Mock
      .on(HeadObjectCommand)
      .resolvesOnce({ ContentLength: 5 })
      .rejects(s3Error('NotFound', 404, 'client'));

    expect(await makeStore().getRange('k', 3, 3)).toEqual(new Uint8Array());
    expect(await makeStore().getRange('k', 3, 3)).toBeUndefined();
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('refuses a range that is not one before asking S3', async () => {
    for (const [start, end] of [
      [-1, 5],
      [5, 4],
      [0.5, 4],
      [0, Number.POSITIVE_INFINITY],
    ] as const) {
      await expect(makeStore().getRange('k', start, end)).rejects.toThrow(RangeError);
    }
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it.each([
    ['SlowDown (503)', () => s3Error('SlowDown', 503, 'server')],
    [
      'a throttling error S3 calls a client fault (429)',
      () => s3Error('TooManyRequestsException', 429, 'client'),
    ],
    ['InternalError (500)', () => s3Error('InternalError', 500, 'server')],
    ['a connection reset', networkReset],
    ['a request timeout', () => Object.assign(new Error('request timed out'), { name: 'TimeoutError' })],
  ])('throws DocumentStoreUnavailableError for %s', async (_, error) => {
    s3Mock.on(GetObjectCommand).rejects(error()).on(HeadObjectCommand).rejects(error());
    s3Mock.on(PutObjectCommand).rejects(error());
    const store = makeStore();

    await expect(store.get('k')).rejects.toThrow(DocumentStoreUnavailableError);
    await expect(store.getRange('k', 0, 10)).rejects.toThrow(DocumentStoreUnavailableError);
    await expect(store.size('k')).rejects.toThrow(DocumentStoreUnavailableError);
    await expect(store.put('k', 'text')).rejects.toThrow(DocumentStoreUnavailableError);
  });

  it('names the bucket, the key and the cause in an unavailable error', async () => {
    const cause = s3Error('SlowDown', 503, 'server');
    s3Mock.on(PutObjectCommand).rejects(cause);

    const error = await makeStore()
      .put('jobs/job_1/result.txt', 'x')
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(DocumentStoreUnavailableError);
    expect(error).toMatchObject({
      message: expect.stringContaining(`s3://${bucket}/jobs/job_1/result.txt`),
      cause,
    });
  });

  it('counts a reset while reading the body as unavailable', async () => {
    const body = Object.assign(objectBody(new Uint8Array()), {
      transformToByteArray: () => Promise.reject(networkReset()),
    });
    s3Mock.on(GetObjectCommand).resolves({ Body: body });

    await expect(makeStore().get('jobs/job_1/document.txt')).rejects.toThrow(DocumentStoreUnavailableError);
  });

  it.each([
    [
      'AccessDenied',
      () => new AccessDenied({ message: 'Access Denied', $metadata: { httpStatusCode: 403 } }),
    ],
    ['NoSuchBucket', () => new NoSuchBucket({ message: 'no such bucket', ...metadata })],
    ['a programming error', () => new TypeError('Cannot read properties of undefined')],
  ])('lets %s propagate unchanged: it is a bug, not an outage', async (_, error) => {
    const thrown = error();
    s3Mock.on(GetObjectCommand).rejects(thrown).on(HeadObjectCommand).rejects(thrown);

    await expect(makeStore().get('k')).rejects.toBe(thrown);
    await expect(makeStore().size('k')).rejects.toBe(thrown);
  });

  it('refuses an empty bucket name', () => {
    expect(() => new S3DocumentStore({ client: new S3Client({ region }), bucket: ' ' })).toThrow(RangeError);
  });
});

describe('S3DocumentStore presigned URLs', () => {
  it('presigns a PUT to the key for the given time, signing only the host header', async () => {
    const key = documentKeys.upload('tenant-a', 'upl_abcdefghijklmnopqrstuvwxyz');

    const upload = await makeStore().presignUpload(key, { expiresInSeconds: 900 });

    const url = new URL(upload.url);
    expect(upload.expiresInSeconds).toBe(900);
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe(`${bucket}.s3.${region}.amazonaws.com`);
    expect(url.pathname).toBe('/uploads/tenant-a/upl_abcdefghijklmnopqrstuvwxyz');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      new RegExp(`^${credentials.accessKeyId}/\\d{8}/${region}/s3/aws4_request$`),
    );
    expect(url.searchParams.get('x-id')).toBe('PutObject');
    expect(s3Mock).toReceiveCommandTimes(PutObjectCommand, 0);
  });

  it('signs no checksum into the upload URL, so a plain PUT of any bytes matches it', async () => {
    const upload = await makeStore().presignUpload('uploads/t/upl_x', { expiresInSeconds: 900 });

    const names = [...new URL(upload.url).searchParams.keys()].map((name) => name.toLowerCase());
    expect(names.filter((name) => name.includes('checksum'))).toEqual([]);
  });

  it('refuses to presign an upload with a client that pins the URL to an empty body', async () => {
    // The SDK's default (WHEN_SUPPORTED) signs the CRC32 of the empty body into the URL.
    const defaultClient = new S3Client({ region, credentials });

    await expect(
      makeStore(defaultClient).presignUpload('uploads/t/upl_x', { expiresInSeconds: 900 }),
    ).rejects.toThrow(/x-amz-checksum-crc32.*WHEN_REQUIRED/s);
  });

  it('keeps a key’s percent-encoded tenant intact in the URL path', async () => {
    const key = documentKeys.upload('tenant/with space', 'upl_x');

    const upload = await makeStore().presignUpload(key, { expiresInSeconds: 60 });

    expect(key).toBe('uploads/tenant%2Fwith%20space/upl_x');
    expect(decodeURIComponent(new URL(upload.url).pathname)).toBe(`/${key}`);
  });

  it('sends no trace subsegment for a presigned URL, which is no call', async () => {
    const sink = installRecordingTraceSink();
    const upload = await makeStore().presignUpload('uploads/t/upl_x', { expiresInSeconds: 900 });
    // The trace header set on the request to presign is not signed into the URL either.
    expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    await makeStore().presignDownload('jobs/job_1/result.txt', { expiresInSeconds: 3600 });
    expect(sink.subsegments).toEqual([]);
  });

  it('presigns a GET of the key', async () => {
    const url = new URL(
      await makeStore().presignDownload('jobs/job_1/result.txt', { expiresInSeconds: 3600 }),
    );

    expect(url.host).toBe(`${bucket}.s3.${region}.amazonaws.com`);
    expect(url.pathname).toBe('/jobs/job_1/result.txt');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('x-id')).toBe('GetObject');
  });

  it('presigns path-style URLs against a custom endpoint', async () => {
    const client = createS3Client({
      region,
      credentials,
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });

    const url = new URL(
      (await makeStore(client).presignUpload('uploads/t/upl_x', { expiresInSeconds: 900 })).url,
    );

    expect(url.origin).toBe('http://127.0.0.1:9000');
    expect(url.pathname).toBe(`/${bucket}/uploads/t/upl_x`);
  });
});

describe('s3ClientConfig', () => {
  it('computes checksums only when an operation requires them, with short timeouts', () => {
    expect(s3ClientConfig()).toEqual({
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
    });
  });

  it('passes the region, endpoint, credentials and path style it is given', () => {
    expect(
      s3ClientConfig({ region, endpoint: 'http://127.0.0.1:9000', credentials, forcePathStyle: true }),
    ).toMatchObject({ region, endpoint: 'http://127.0.0.1:9000', credentials, forcePathStyle: true });
  });
});
