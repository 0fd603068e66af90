import { ConnectionGoneError, type ConnectionPusher } from '@mangaassist/chat';
import { WebSocket } from 'ws';

/** PostToConnection's payload limit: larger frames fail as they would when deployed. */
export const postToConnectionMaxBytes = 128 * 1024;

export interface LocalConnectionPusherOptions {
  /**
   * Longest wait for a socket to take one frame (a client that stopped reading fills the TCP
   * buffers); after it the client counts as gone and its socket is terminated. @default 10_000
   */
  readonly stallTimeoutMs?: number;
}

interface RegisteredSocket {
  readonly socket: WebSocket;
  readonly onSend: (() => void) | undefined;
}

/**
 * The `ConnectionPusher` of `pnpm dev`: writes to the local gateway's sockets by connection id,
 * as API Gateway's management API does to its connections. A connection that is unknown,
 * closing or closed rejects with `ConnectionGoneError` (API Gateway's 410); data over 128 KiB
 * rejects with an error named `PayloadTooLargeException`, as PostToConnection does. A send never
 * waits longer than `stallTimeoutMs`: a socket that does not take the frame by then is terminated
 * (the gateway then sends its `$disconnect`) and the send rejects with `ConnectionGoneError`.
 *
 * Create it first, hand it to `WebSocketChat`, then to `attachLocalWebSocketGateway`, which
 * registers each socket it accepts.
 */
export class LocalConnectionPusher implements ConnectionPusher {
  private readonly sockets = new Map<string, RegisteredSocket>();
  private readonly stallTimeoutMs: number;

  constructor(options: LocalConnectionPusherOptions = {}) {
    const stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
    if (!(stallTimeoutMs > 0)) throw new RangeError(`stallTimeoutMs must be positive, got ${stallTimeoutMs}`);
    this.stallTimeoutMs = stallTimeoutMs;
  }

  async send(connectionId: string, data: string): Promise<void> {
    const registered = this.sockets.get(connectionId);
    if (registered === undefined || registered.socket.readyState !== WebSocket.OPEN)
      throw new ConnectionGoneError(connectionId);
    if (Buffer.byteLength(data, 'utf8') > postToConnectionMaxBytes) {
      throw Object.assign(new Error(`Message exceeds ${postToConnectionMaxBytes} bytes`), {
        name: 'PayloadTooLargeException',
      });
    }
    const { socket, onSend } = registered;
    onSend?.();
    await new Promise<void>((resolve, reject) => {
      const stalled = setTimeout(() => {
        socket.terminate();
        reject(new ConnectionGoneError(connectionId));
      }, this.stallTimeoutMs);
      // The callback runs once the frame has been handed to the OS; an error means the socket
      // closed before it left: the client is gone.
      socket.send(data, (error) => {
        clearTimeout(stalled);
        if (error) reject(new ConnectionGoneError(connectionId));
        else resolve();
      });
    });
  }

  /**
   * Makes a socket reachable by its connection id (the local gateway does this on connect);
   * `onSend` is told of every frame pushed to it (activity, for the idle timeout).
   */
  register(connectionId: string, socket: WebSocket, onSend?: () => void): void {
    this.sockets.set(connectionId, { socket, onSend });
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
