import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { RequestSource, ResponseSink } from './http-exchange.js';

// Every HTTP/2 connection opened with prior knowledge (h2c) starts with this preface.
const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface DualProtocolServer {
  readonly port: number;
  /** Stops listening and ends every open connection and HTTP/2 session. */
  close(): Promise<void>;
}

export interface DualProtocolOptions {
  readonly host: string;
  readonly port: number;
}

/**
 * Serves HTTP/1.1 and cleartext HTTP/2 on one port: each connection's first bytes are compared
 * with the HTTP/2 preface, then the socket goes to the matching server. The AWS SDK's default
 * HTTP/2 handler and curl or a browser can therefore share one endpoint URL.
 */
export async function listenDualProtocol(
  handler: (request: RequestSource, response: ResponseSink) => void,
  options: DualProtocolOptions,
): Promise<DualProtocolServer> {
  const http1 = http.createServer({ keepAlive: true }, handler);
  const h2c = http2.createServer({}, handler);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2c.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A peer resetting its session must not take the emulator down.
    session.on('error', () => {});
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Streams are a frame per token; Nagle's algorithm would batch them.
    socket.setNoDelay(true);
    sniffProtocol(socket, (isHttp2) => {
      if (isHttp2) {
        // The HTTP/2 session drains bytes already buffered on the socket by itself.
        h2c.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        // The HTTP/1 parser reads the buffered bytes through 'data' events, which a paused socket never emits.
        socket.resume();
      }
    });
  });
  tcp.listen(options.port, options.host);
  await once(tcp, 'listening');
  const address = tcp.address();
  if (address === null || typeof address === 'string')
    throw new Error('The emulator is not listening on TCP.');

  return {
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      http1.close();
      h2c.close();
      await closed;
    },
  };
}

/**
 * Reads until the bytes either diverge from the HTTP/2 preface or complete it, then puts them
 * back on the socket so the chosen server parses the connection from its first byte.
 */
function sniffProtocol(socket: net.Socket, decide: (isHttp2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = Buffer.concat([seen, chunk]);
    const compared = Math.min(seen.length, http2Preface.length);
    const matchesSoFar = seen.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    if (matchesSoFar && seen.length < http2Preface.length) return;
    socket.off('data', onData);
    socket.pause();
    socket.unshift(seen);
    decide(matchesSoFar);
  };
  socket.on('data', onData);
}
