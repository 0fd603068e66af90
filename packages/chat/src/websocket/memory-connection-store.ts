import { assertTtlSeconds, expiresAtSeconds, hasExpired } from '@mangaassist/commons';
import type { ConnectionRecord, ConnectionStore } from './connection-store.js';

export interface MemoryConnectionStoreOptions {
  /**
   * How long a record outlives its `put` if nothing deletes it.
   * @default 7_200
   */
  readonly ttlSeconds?: number;
  /**
   * The current time in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * The connection-store port in process memory, with the DynamoDB store's semantics: `put`
 * overwrites, `get` answers undefined for an unknown or expired record, `delete` of an unknown
 * id succeeds. Expired records are dropped when read. For tests and `pnpm dev`, where one process
 * holds every WebSocket.
 */
export class MemoryConnectionStore implements ConnectionStore {
  private readonly records = new Map<string, { record: ConnectionRecord; expiresAt: number }>();
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(options: MemoryConnectionStoreOptions = {}) {
    this.ttlSeconds = options.ttlSeconds ?? 7_200;
    assertTtlSeconds(this.ttlSeconds);
    this.now = options.now ?? Date.now;
  }

  async put(connection: ConnectionRecord): Promise<void> {
    const { connectionId, tenantId, connectedAt } = connection;
    this.records.set(connectionId, {
      record: { connectionId, tenantId, connectedAt },
      expiresAt: expiresAtSeconds(this.now(), this.ttlSeconds),
    });
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const stored = this.records.get(connectionId);
    if (stored === undefined) return undefined;
    if (hasExpired(stored.expiresAt, this.now())) {
      this.records.delete(connectionId);
      return undefined;
    }
    return { ...stored.record };
  }

  async delete(connectionId: string): Promise<void> {
    this.records.delete(connectionId);
  }
}
