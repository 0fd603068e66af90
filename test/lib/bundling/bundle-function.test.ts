// The Lambda bundler: what its SDK tree-shaking drops, and that the bundled clients still send
// exactly the requests (and read exactly the answers) of the SDK as published.
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineSchemaKeys, isMainModule, lambdaBuildOptions } from '../../../lib/bundling/bundle-function.js';
import { sendCalls } from '../fixtures/sdk-calls.js';

const entry = 'test/lib/fixtures/sdk-calls.ts';
const require = createRequire(import.meta.url);

describe('inlineSchemaKeys', () => {
  it('writes a computed key naming a string constant of the file as that string', () => {
    const source = [
      'const _ht = "http";',
      'const _hH = "httpHeader";',
      'export var A$ = [9, n0, _A, { [_ht]: ["GET", "/a", 200], [_hH]: "x-id" }];',
    ].join('\n');
    expect(inlineSchemaKeys(source)).toContain('{ "http": ["GET", "/a", 200], "httpHeader": "x-id" }');
  });

  it('keeps keys whose constant it cannot read, and constants that are not plain strings', () => {
    const source = ['const _n = 5;', 'const _q = "a\\"b";', 'var A = { [_n]: 1, [_x]: 2, [_q]: 3 };'].join(
      '\n',
    );
    expect(inlineSchemaKeys(source)).toBe(
      ['const _n = 5;', 'const _q = "a\\"b";', 'var A = { [_n]: 1, [_x]: 2, "a\\"b": 3 };'].join('\n'),
    );
  });
});

describe('Node built-ins in a Lambda bundle', () => {
  it('come from process.getBuiltinModule, sub-paths too, never from an ESM import', async () => {
    const { outputFiles, metafile } = await build({
      ...lambdaBuildOptions([]),
      stdin: {
        contents: [
          "import { pipeline } from 'node:stream/promises';",
          "import { posix } from 'node:path';",
          "import { text } from 'stream/consumers';",
          "import http from 'http';",
          'export { pipeline, posix, text, http };',
        ].join('\n'),
        resolveDir: path.dirname(new URL(import.meta.url).pathname),
        loader: 'ts',
      },
      write: false,
      metafile: true,
      outfile: 'out.mjs',
    });
    const code = outputFiles[0]?.text ?? '';
    for (const name of ['node:stream/promises', 'node:path', 'node:stream/consumers', 'node:http']) {
      expect(code).toContain(`getBuiltinModule("${name}")`);
    }
    const external = Object.values(metafile.outputs).flatMap((output) =>
      output.imports.map((entry) => entry.path),
    );
    expect(external).toEqual([]);
  });
});

describe('isMainModule', () => {
  it('knows the script Node runs, whatever its path holds', () => {
    for (const file of ['/tmp/a b/bundle-function.ts', '/tmp/山田/bundle-function.ts', '/tmp/100%/x#1.ts']) {
      expect(isMainModule(pathToFileURL(file).href, file)).toBe(true);
    }
    expect(isMainModule(pathToFileURL('/tmp/a.ts').href, '/tmp/b.ts')).toBe(false);
    expect(isMainModule(pathToFileURL('/tmp/a.ts').href, undefined)).toBe(false);
  });

  it('follows a symbolic link to the script, as Node does for the module’s URL', () => {
    const directory = realpathSync(mkdtempSync(path.join(tmpdir(), 'is-main-')));
    try {
      writeFileSync(path.join(directory, 'bundler.ts'), '');
      symlinkSync(path.join(directory, 'bundler.ts'), path.join(directory, 'linked.ts'));
      const moduleUrl = pathToFileURL(path.join(directory, 'bundler.ts')).href;
      expect(isMainModule(moduleUrl, path.join(directory, 'linked.ts'))).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('a Lambda bundle of SDK clients', () => {
  let directory: string;
  let withPlugin: string;
  let withoutPlugin: string;
  const requests: string[] = [];
  const userAgents: string[] = [];
  // One answer per call, in `sendCalls`' order: an error by its header, a JSON body, an S3 upload.
  const answers: Array<(response: ServerResponse) => void> = [
    (response) =>
      response
        .writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException' })
        .end(JSON.stringify({ message: 'no such job' })),
    (response) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ jobArn: 'arn:aws:bedrock:ap-northeast-1:123456789012:model-invocation-job/abc' }),
        ),
    (response) => response.writeHead(200, { etag: '"e1"', 'x-amz-version-id': 'v1' }).end(),
  ];
  const unsigned = new Set([
    'authorization',
    'x-amz-date',
    'amz-sdk-invocation-id',
    'amz-sdk-request',
    'user-agent',
    'x-amz-user-agent',
    'host',
    'connection',
  ]);
  let served = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const headers = Object.entries(request.headers)
        .filter(([name]) => !unsigned.has(name))
        .sort(([a], [b]) => a.localeCompare(b));
      requests.push(JSON.stringify({ method: request.method, url: request.url, headers, body }));
      userAgents.push(request.headers['user-agent'] ?? '');
      const answer = answers[served++ % answers.length];
      answer?.(response);
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    directory = mkdtempSync(path.join(tmpdir(), 'bundle-function-'));
    const bundle = async (name: string, plugins: boolean) => {
      const options = lambdaBuildOptions([entry]);
      const { outputFiles } = await build({
        ...options,
        ...(plugins ? {} : { plugins: [] }),
        write: false,
        outdir: directory,
      });
      const file = path.join(directory, `${name}.mjs`);
      writeFileSync(file, outputFiles[0]?.contents ?? '');
      return file;
    };
    withPlugin = await bundle('tree-shaken', true);
    withoutPlugin = await bundle('as-published', false);
  });
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  const endpoint = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  it('sends the requests and reads the answers of the SDK as published', async () => {
    const bundled = (await import(pathToFileURL(withPlugin).href)) as { sendCalls: typeof sendCalls };
    requests.length = 0;
    userAgents.length = 0;
    const published = await sendCalls(endpoint());
    const sentByPublished = requests.splice(0);
    const fromBundle = await bundled.sendCalls(endpoint());

    expect(published).toEqual([
      'ValidationException 400',
      JSON.stringify({ jobArn: 'arn:aws:bedrock:ap-northeast-1:123456789012:model-invocation-job/abc' }),
      expect.stringContaining('"ETag":"\\"e1\\""'),
    ]);
    expect(fromBundle).toEqual(published);
    expect(sentByPublished).toHaveLength(3);
    expect(requests).toEqual(sentByPublished);
    expect(sentByPublished[0]).toContain('"url":"/model-invocation-job/job%2F1"');
    expect(sentByPublished[2]).toContain('["x-amz-meta-origin","test"]');
    // The user agent names each client's version, read from its package.json.
    const version = (name: string) =>
      (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
        .version;
    expect(userAgents.slice(3)).toEqual([
      expect.stringContaining(`api/bedrock#${version('@aws-sdk/client-bedrock')}`),
      expect.stringContaining(`api/bedrock#${version('@aws-sdk/client-bedrock')}`),
      expect.stringContaining(`api/s3#${version('@aws-sdk/client-s3')}`),
    ]);
  });

  it('drops the schemas of the commands it never sends', async () => {
    const treeShaken = readFileSync(withPlugin, 'utf8');
    const published = readFileSync(withoutPlugin, 'utf8');
    expect(published).toContain('/provisioned-model-throughput/{provisionedModelId}');
    expect(treeShaken).not.toContain('/provisioned-model-throughput/{provisionedModelId}');
    expect(treeShaken).toContain('/model-invocation-job/{jobIdentifier}');
    expect(treeShaken.length).toBeLessThan(published.length - 100_000);
  });
});
