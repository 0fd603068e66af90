/** An open WebSocket connection and whom it belongs to. */
export interface ConnectionRecord {
  readonly connectionId: string;
  readonly tenantId: string;
  /** ISO-8601. */
  readonly connectedAt: string;
}

/** The connection-store port: open WebSocket connections (`$connect` puts, `$disconnect` deletes). */
export interface ConnectionStore {
  put(connection: ConnectionRecord): Promise<void>;
  get(connectionId: string): Promise<ConnectionRecord | undefined>;
  delete(connectionId: string): Promise<void>;
}
