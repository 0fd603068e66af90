import { ConnectionGoneError, type ConnectionPusher } from '@mangaassist/core';
import { WebSocket } from 'ws';

/** PostToConnection's payload limit: larger frames fail as they would when deployed. */
export const postToConnectionMaxBytes = 128 * 1024;

/**
 * The `ConnectionPusher` of `pnpm dev`: writes to the local gateway's sockets by connection id,
 * as API Gateway's management API does to its connections. A connection that is unknown,
 * closing or closed rejects with `ConnectionGoneError` (API Gateway's 410); data over 128 KiB
 * rejects with an error named `PayloadTooLargeException`, as PostToConnection does.
 *
 * Create it first, hand it to `WebSocketChat`, then to `attachLocalWebSocketGateway`, which
 * registers each socket it accepts.
 */
export class LocalConnectionPusher implements ConnectionPusher {
  private readonly sockets = new Map<string, WebSocket>();

  async send(connectionId: string, data: string): Promise<void> {
    const socket = this.sockets.get(connectionId);
    if (socket === undefined || socket.readyState !== WebSocket.OPEN)
      throw new ConnectionGoneError(connectionId);
    if (Buffer.byteLength(data, 'utf8') > postToConnectionMaxBytes) {
      throw Object.assign(new Error(`Message exceeds ${postToConnectionMaxBytes} bytes`), {
        name: 'PayloadTooLargeException',
      });
    }
    await new Promise<void>((resolve, reject) => {
      // The callback reports a socket that closed before the frame left: the client is gone.
      socket.send(data, (error) => (error ? reject(new ConnectionGoneError(connectionId)) : resolve()));
    });
  }

  /** Makes a socket reachable by its connection id (the local gateway does this on connect). */
  register(connectionId: string, socket: WebSocket): void {
    this.sockets.set(connectionId, socket);
  }

  /** Forgets a connection; later sends reject with `ConnectionGoneError`. */
  unregister(connectionId: string): void {
    this.sockets.delete(connectionId);
  }

  /** How many connections are registered. */
  get size(): number {
    return this.sockets.size;
  }
}
