// The local server's own defences: request targets that are not URLs, and the /_local controls
// against other web pages (cross-site POSTs, DNS rebinding). Driven over raw HTTP, so that the
// Host and Origin headers are exactly what a browser on another site would send.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './dev-server.js';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ port: 0 });
});

afterAll(async () => {
  await server?.close();
});

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request with exactly these headers (Host included), as any client could send it. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path, headers, setHost: !('host' in headers) },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Writes `head` as is on a fresh TCP connection and returns the first line of the answer. */
function rawStatusLine(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(text.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.on('close', () =>
      reject(new Error(`connection closed without an answer: ${JSON.stringify(text)}`)),
    );
    socket.write(head);
  });
}

const errorCode = (answer: RawAnswer): unknown =>
  (JSON.parse(answer.body) as { error?: { code?: unknown } }).error?.code;

const ownHost = () => `127.0.0.1:${server.port}`;
const fault = JSON.stringify({ error: 'ThrottlingException', rate: 1 });

describe('the dev server with request targets that are not plain paths', () => {
  it('answers GET // with a JSON error and keeps serving', async () => {
    expect(await rawStatusLine('GET // HTTP/1.1\r\nHost: localhost\r\n\r\n')).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(await rawStatusLine('GET //[ HTTP/1.1\r\nHost: localhost\r\n\r\n')).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect((await send('GET', '/_local/api-keys')).status).toBe(200);
  });

  it('routes a path that starts with two slashes as that path, not as a host name', async () => {
    const answer = await send('GET', '//localhost/_local/api-keys');
    expect(answer.status).toBe(404);
    expect(errorCode(answer)).toBe('not_found');
  });

  it('answers a target that is no URL at all with 400 bad_request as JSON', async () => {
    const answer = await send('GET', 'http://[');
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(errorCode(answer)).toBe('bad_request');
    expect((await send('GET', '/_local/api-keys')).status).toBe(200);
  });
});

describe('the /_local controls against other web pages', () => {
  it('refuses a control POST that is not application/json (a cross-site form or text/plain fetch) with 415', async () => {
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await send('POST', '/_local/bedrock/faults', { 'content-type': contentType }, fault);
      expect(answer.status).toBe(415);
      expect(errorCode(answer)).toBe('unsupported_media_type');
    }
    expect(server.emulator.faults.list()).toEqual([]);
  });

  it('accepts a control POST of application/json with a charset', async () => {
    const answer = await send(
      'POST',
      '/_local/bedrock/scripts',
      { 'content-type': 'Application/JSON; charset=utf-8' },
      JSON.stringify({ match: 'guard-test', text: 'ok', times: 1 }),
    );
    expect(answer.status).toBe(201);
    expect((await send('DELETE', '/_local/bedrock/scripts')).status).toBe(200);
  });

  it('refuses every /_local route to a Host that is not a loopback name of this server (DNS rebinding)', async () => {
    const hosts = [
      `attacker.example:${server.port}`,
      'attacker.example',
      `localhost.attacker.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      'localhost',
    ];
    for (const host of hosts) {
      for (const [method, path] of [
        ['GET', '/_local/api-keys'],
        ['GET', '/_local/endpoints'],
        ['DELETE', '/_local/bedrock/faults'],
      ] as const) {
        const answer = await send(method, path, { host });
        expect(answer.status, `${method} ${path} with Host ${host}`).toBe(403);
        expect(errorCode(answer)).toBe('forbidden');
      }
    }
    const post = await send(
      'POST',
      '/_local/bedrock/faults',
      { host: 'attacker.example', 'content-type': 'application/json' },
      fault,
    );
    expect(post.status).toBe(403);
    expect(server.emulator.faults.list()).toEqual([]);
  });

  it('serves /_local to the loopback names of this server', async () => {
    for (const host of [
      ownHost(),
      `localhost:${server.port}`,
      `LOCALHOST:${server.port}`,
      `[::1]:${server.port}`,
    ]) {
      expect((await send('GET', '/_local/api-keys', { host })).status, `Host ${host}`).toBe(200);
    }
  });

  it('refuses a /_local request from a page of another origin, even with the right Host', async () => {
    for (const origin of [
      'http://attacker.example',
      `http://localhost:${server.port + 1}`,
      'null',
      `https://${ownHost()}`,
    ]) {
      const answer = await send(
        'POST',
        '/_local/bedrock/faults',
        { origin, 'content-type': 'application/json' },
        fault,
      );
      expect(answer.status, `Origin ${origin}`).toBe(403);
      expect((await send('GET', '/_local/api-keys', { origin })).status).toBe(403);
    }
    expect(server.emulator.faults.list()).toEqual([]);
  });

  it('serves /_local to the chat page of its own origin', async () => {
    const answer = await send('GET', '/_local/api-keys', {
      origin: `http://${ownHost()}`,
      accept: 'application/json',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ keys: expect.any(Array) });
  });

  it('leaves /v1 to its caller check, as API Gateway does', async () => {
    const answer = await send(
      'POST',
      '/v1/chat',
      { host: 'attacker.example', 'content-type': 'text/plain' },
      '{}',
    );
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe('missing_credentials');
  });
});
