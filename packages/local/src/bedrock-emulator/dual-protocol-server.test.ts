import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type DualProtocolServer, listenDualProtocol } from './dual-protocol-server.js';
import type { RequestSource, ResponseSink } from './http-exchange.js';

let server: DualProtocolServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function echoServer(): Promise<DualProtocolServer> {
  server = await listenDualProtocol(
    async (request: RequestSource, response: ResponseSink) => {
      let body = '';
      for await (const chunk of request) body += chunk.toString();
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`${request.httpVersion} ${request.method} ${request.url} ${body}`);
    },
    { host: '127.0.0.1', port: 0 },
  );
  return server;
}

/** Writes raw bytes in the given pieces and collects everything until `expectedResponses` bodies arrive. */
async function rawExchange(
  port: number,
  pieces: string[],
  until: (received: string) => boolean,
): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setNoDelay(true);
  let received = '';
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (until(received)) resolve();
    });
  });
  for (const piece of pieces) {
    socket.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  socket.destroy();
  return received;
}

function h2Request(port: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
    });
    stream.on('end', () => {
      session.close();
      resolve(text);
    });
    stream.end(body);
  });
}

describe('listenDualProtocol', () => {
  it('serves HTTP/2 with prior knowledge and HTTP/1.1 on the same port', async () => {
    const { port } = await echoServer();

    const overH2 = await h2Request(port, '/h2', 'two');
    const overH1 = await rawExchange(
      port,
      ['POST /h1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\none'],
      (received) => received.includes('one'),
    );

    expect(overH2).toBe('2.0 POST /h2 two');
    expect(overH1).toContain('1.1 POST /h1 one');
  });

  it('parses an HTTP/1.1 request whose first bytes arrive one at a time', async () => {
    const { port } = await echoServer();

    const received = await rawExchange(
      port,
      ['P', 'O', 'ST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n', 'body'],
      (text) => text.includes('body'),
    );

    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received).toContain('1.1 POST /slow body');
  });

  it('answers several requests on one keep-alive HTTP/1.1 connection', async () => {
    const { port } = await echoServer();
    const request = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`;

    const received = await rawExchange(port, [request('/first'), request('/second')], (text) =>
      text.includes('/second'),
    );

    expect(received.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
  });

  it('ends open HTTP/2 sessions and keep-alive connections on close', async () => {
    const dual = await echoServer();
    const session = http2.connect(`http://127.0.0.1:${dual.port}`);
    session.on('error', () => {});
    await once(session, 'connect');
    const keepAlive = net.connect(dual.port, '127.0.0.1');
    await once(keepAlive, 'connect');
    keepAlive.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    await once(keepAlive, 'data');

    const sessionClosed = once(session, 'close');
    const socketClosed = once(keepAlive, 'close');
    await dual.close();
    server = undefined;

    await Promise.all([sessionClosed, socketClosed]);
    expect(session.closed || session.destroyed).toBe(true);
    expect(keepAlive.destroyed).toBe(true);
  });
});
