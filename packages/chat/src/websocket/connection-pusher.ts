/** The client behind a connection is gone (API Gateway answers 410): stop sending to it. */
export class ConnectionGoneError extends Error {
  override readonly name = 'ConnectionGoneError';
  constructor(readonly connectionId: string) {
    super(`Connection ${connectionId} is gone`);
  }
}

/**
 * The connection-pusher port: sends one frame to a WebSocket client (API Gateway's management
 * API when deployed, the local socket in `pnpm dev`). Rejects with `ConnectionGoneError` when
 * the client has gone away.
 */
export interface ConnectionPusher {
  send(connectionId: string, data: string): Promise<void>;
}
