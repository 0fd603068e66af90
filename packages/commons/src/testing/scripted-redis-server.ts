import { createServer, type Socket } from 'node:net';
import { RedisReplyParser } from '../redis/redis-protocol.js';

/** A stand-in Redis listening on a loopback port; see `scriptedRedisServer`. */
export interface ScriptedRedisServer {
  readonly port: number;
  /** How many connections it has accepted. */
  connections(): number;
  /**
   * Resolves when the server's side of connection `connection` (1 for the first) has closed;
   * rejects at once for a connection not accepted yet.
   */
  closed(connection: number): Promise<void>;
  /** Stops listening and destroys every connection. */
  close(): void;
}

export interface ScriptedRedisServerOptions {
  /**
   * Whether the server answers `PING` with `+PONG` itself, without asking `answer`: the
   * handshake of `RedisConnection`, which is ready only once its PING is answered.
   * @default true
   */
  readonly answersPing?: boolean;
}

/**
 * A stand-in Redis for the faults a real one will not stage, for tests: each command it receives
 * (its arguments as strings) goes to `answer` with the connection's number (1, 2, …) and its
 * socket, to write whatever the test wants, or nothing. With no answer at all,
 * `scriptedRedisServer(() => {})` is a Redis that hangs once a client has connected.
 *
 * @example
 * const server = await scriptedRedisServer((command, _connection, socket) => socket.write('+OK\r\n'));
 * const redis = new RedisConnection(`redis://127.0.0.1:${server.port}`);
 */
export async function scriptedRedisServer(
  answer: (command: string[], connection: number, socket: Socket) => void,
  { answersPing = true }: ScriptedRedisServerOptions = {},
): Promise<ScriptedRedisServer> {
  const closedConnections: Promise<void>[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const connection = closedConnections.length + 1;
    sockets.add(socket);
    closedConnections.push(new Promise((resolve) => socket.once('close', () => resolve())));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const parser = new RedisReplyParser((reply) => {
      if (socket.destroyed) return;
      const command = Array.isArray(reply) ? reply.map(String) : [];
      if (answersPing && command[0]?.toUpperCase() === 'PING') socket.write('+PONG\r\n');
      else answer(command, connection, socket);
    });
    socket.on('data', (chunk: Buffer) => parser.feed(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    port: address.port,
    connections: () => closedConnections.length,
    closed: (connection) =>
      closedConnections[connection - 1] ?? Promise.reject(new Error(`no connection ${connection} yet`)),
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
