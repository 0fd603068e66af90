import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { settlesWithin } from '@mangaassist/commons/testing';
import type { LambdaResponseStream, StreamingLambdaHandler } from '@mangaassist/http/api-gateway';
import { afterEach, describe, expect, it } from 'vitest';
import {
  localStreamingRuntime,
  type ServeStreamingLambdaOptions,
  serveStreamingLambda,
} from './streaming-lambda.js';

interface TestEvent {
  readonly name: string;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A local server that runs `handler` for every request; `failures` collects what it rejected with. */
async function serve(handler: StreamingLambdaHandler<TestEvent>, options?: ServeStreamingLambdaOptions) {
  const failures: unknown[] = [];
  const settled = gate();
  const server = createServer((_request, response) => {
    serveStreamingLambda(handler, { name: 'test' }, response, options)
      .finally(settled.open)
      .catch((error: unknown) => {
        failures.push(error);
        response.destroy();
      });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, failures, settled: settled.opened };
}

function get(port: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject).end();
  });
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}

/** A promise and the function that settles it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const write = (stream: LambdaResponseStream, chunk: string) =>
  new Promise<void>((resolve) => {
    if (stream.write(chunk)) resolve();
    else stream.once('drain', () => resolve());
  });

/** Writes a chunk and waits until the stream takes more, or closes. */
const writeOrClose = (stream: LambdaResponseStream, chunk: string) =>
  new Promise<void>((resolve) => {
    if (stream.write(chunk)) {
      resolve();
      return;
    }
    const done = () => {
      stream.removeListener('drain', done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });

/** A client that sends a request and then never reads a byte of the answer. */
function stalledClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  socket.on('error', () => {}); // a cut connection may surface as ECONNRESET; `close` still follows
  // `Connection: close`: a response the server completes also ends the connection, as a cut one does.
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  return socket;
}

/** Starts reading a stalled client's socket: every byte the server sent, once the connection has closed. */
function readUntilClosed(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close').then(() => Buffer.concat(chunks).toString('latin1'));
  socket.resume();
  return closed;
}

/** The last chunk of a complete chunked HTTP/1.1 body. */
const chunkedBodyEnd = '\r\n0\r\n\r\n';

const end = (stream: LambdaResponseStream) => new Promise<void>((resolve) => stream.end(() => resolve()));

describe('the local awslambda streaming runtime', () => {
  it('sends the status and headers given to HttpResponseStream.from', async () => {
    const { port } = await serve(
      localStreamingRuntime.streamifyResponse(async (event, responseStream) => {
        const stream = localStreamingRuntime.HttpResponseStream.from(responseStream, {
          statusCode: 201,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-name': event.name },
          multiValueHeaders: { 'x-many': ['a', 'b'] },
          cookies: ['c1=blue', 'c2=red'],
        });
        await write(stream, 'hello');
        await end(stream);
      }),
    );
    const response = await get(port);
    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'x-name': 'test',
      'x-many': 'a, b',
      'set-cookie': ['c1=blue', 'c2=red'],
    });
    expect(await readAll(response)).toBe('hello');
  });

  it('delivers each chunk to the client as soon as the handler writes it', async () => {
    const second = gate();
    const { port } = await serve(async (_event, responseStream) => {
      const stream = localStreamingRuntime.HttpResponseStream.from(responseStream, { statusCode: 200 });
      await write(stream, 'first ');
      await second.opened;
      await write(stream, 'second');
      await end(stream);
    });
    const response = await get(port);
    const [first] = (await once(response, 'data')) as [Buffer];
    expect(first.toString()).toBe('first ');
    second.open();
    expect(await readAll(response)).toBe('second');
  });

  it('answers 200 application/octet-stream when the handler sends no metadata, as a function URL does', async () => {
    const { port } = await serve(async (_event, stream) => {
      await end(stream);
    });
    const response = await get(port);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
  });

  it("closes the handler's response stream when the client disconnects", async () => {
    const closed = gate();
    let writableAfterClose: boolean | undefined;
    const { port } = await serve(async (_event, responseStream) => {
      const stream = localStreamingRuntime.HttpResponseStream.from(responseStream, { statusCode: 200 });
      stream.once('close', closed.open);
      await write(stream, 'first');
      await closed.opened;
      writableAfterClose = !stream.destroyed;
    });
    const response = await get(port);
    await once(response, 'data');
    response.destroy();
    await settlesWithin(closed.opened, 5_000, "the handler's response stream closing");
    await new Promise((resolve) => setImmediate(resolve));
    expect(writableAfterClose).toBe(false);
  });

  it('disconnects a client that takes nothing for the stall timeout, so the handler sees it go', async () => {
    const closed = gate();
    const { port, settled, failures } = await serve(
      async (_event, responseStream) => {
        const stream = localStreamingRuntime.HttpResponseStream.from(responseStream, { statusCode: 200 });
        stream.once('close', closed.open);
        const chunk = 'x'.repeat(64 * 1024);
        while (!stream.destroyed) await writeOrClose(stream, chunk);
      },
      { stallTimeoutMs: 50 },
    );
    const socket = stalledClient(port);

    await settlesWithin(closed.opened, 5_000, "the handler's response stream closing");
    await settlesWithin(settled, 5_000, 'the handler returning once its stream closed');
    expect(failures).toEqual([]);
    // The handler never stops writing by itself: only the server can have closed the connection.
    const received = await settlesWithin(readUntilClosed(socket), 5_000, 'the client connection closing');
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.endsWith(chunkedBodyEnd)).toBe(false);
  });

  it('cuts a response whose end the client does not take within the stall timeout', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const chunks = 512;
    const { port, settled, failures } = await serve(
      async (_event, responseStream) => {
        const stream = localStreamingRuntime.HttpResponseStream.from(responseStream, { statusCode: 200 });
        // Far more than the socket buffers hold, written without waiting, then ended.
        for (let index = 0; index < chunks; index++) stream.write(chunk);
        stream.end();
      },
      { stallTimeoutMs: 50 },
    );
    const socket = stalledClient(port);

    await settlesWithin(settled, 5_000, 'the handler and its response stream finishing');
    expect(failures).toEqual([]);
    // Read only now, after the stall: what the client gets is what the server sent before the cut.
    const received = await settlesWithin(readUntilClosed(socket), 5_000, 'the client connection closing');
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.length).toBeLessThan(chunk.length * chunks);
    expect(received.endsWith(chunkedBodyEnd)).toBe(false);
  });

  it('fails a handler that returns without ending its stream, as Lambda does', async () => {
    const { port, failures } = await serve(async (_event, responseStream) => {
      const stream = localStreamingRuntime.HttpResponseStream.from(responseStream, { statusCode: 200 });
      await write(stream, 'partial');
    });
    const response = await get(port);
    await readAll(response).catch(() => '');
    expect(failures).toEqual([expect.objectContaining({ message: expect.stringMatching(/without ending/) })]);
  });

  it('refuses metadata after the first write', async () => {
    const { port, failures } = await serve(async (_event, responseStream) => {
      await write(responseStream, 'body');
      localStreamingRuntime.HttpResponseStream.from(responseStream, { statusCode: 500 });
    });
    await readAll(await get(port)).catch(() => '');
    expect(failures).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/before the first write/) }),
    ]);
  });
});
