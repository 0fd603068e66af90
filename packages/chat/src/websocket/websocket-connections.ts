import { errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import type { TicketStore } from '@mangaassist/tenants';
import type { ConnectionStore } from './connection-store.js';

export interface WebSocketConnectionsOptions {
  /** Redeems the single-use `?ticket=` of `$connect`. */
  readonly tickets: TicketStore;
  /** Open connections and their tenants. */
  readonly connections: ConnectionStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** `connectedAt` of connection records. @default () => new Date() */
  readonly now?: () => Date;
}

/** The `$connect` answer: API Gateway opens the connection on 200 and refuses it otherwise. */
export interface ConnectResult {
  /** 200 connected; 401 no ticket; 403 unknown, expired or used ticket; 500 a store failed. */
  readonly statusCode: 200 | 401 | 403 | 500;
}

/**
 * The WebSocket API's connection lifecycle, alone: what the `$connect`/`$disconnect` function
 * needs (tickets and the connection store, no model). `WebSocketChat` uses it too.
 */
export class WebSocketConnections {
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(private readonly options: WebSocketConnectionsOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * `$connect`: redeems the ticket and stores the connection. A ticket is spent even when the
   * store then fails (500): the client asks for a new one.
   */
  async connect(request: {
    readonly connectionId: string;
    readonly ticket?: string;
  }): Promise<ConnectResult> {
    const { connectionId, ticket } = request;
    if (ticket === undefined || ticket === '') {
      this.logger.info('WebSocket connection refused: no ticket', { connectionId });
      return { statusCode: 401 };
    }
    let tenantId: string | undefined;
    try {
      tenantId = await this.options.tickets.redeem(ticket);
    } catch (error) {
      this.logger.error('ticket store unavailable; connection refused', {
        connectionId,
        error: errorMessage(error),
      });
      return { statusCode: 500 };
    }
    if (tenantId === undefined) {
      this.logger.info('WebSocket connection refused: unknown, expired or used ticket', { connectionId });
      return { statusCode: 403 };
    }
    try {
      await this.options.connections.put({ connectionId, tenantId, connectedAt: this.now().toISOString() });
    } catch (error) {
      this.logger.error('connection not stored; connection refused', {
        connectionId,
        tenantId,
        error: errorMessage(error),
      });
      return { statusCode: 500 };
    }
    return { statusCode: 200 };
  }

  /**
   * `$disconnect` (or a client found gone): deletes the connection record. A store failure is
   * logged, never thrown: the record's TTL removes it.
   */
  async disconnect(connectionId: string): Promise<void> {
    try {
      await this.options.connections.delete(connectionId);
    } catch (error) {
      this.logger.warn('connection record not deleted; its TTL will remove it', {
        connectionId,
        error: errorMessage(error),
      });
    }
  }
}
