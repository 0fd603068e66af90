import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  assertTtlSeconds,
  expiresAtSeconds,
  hasExpired,
  type Logger,
  RateLimitedWarning,
  silentLogger,
} from '@mangaassist/commons';
import * as z from 'zod/mini';
import type { ConnectionRecord, ConnectionStore } from '../websocket/connection-store.js';

export interface DynamoDbConnectionStoreOptions {
  /** The table built from `connectionsTable` (`tableName(stage, connectionsTable)`). */
  readonly tableName: string;
  /**
   * How long a record outlives its `put` if `$disconnect` never deletes it; written as
   * `expires_at` for DynamoDB's TTL. API Gateway closes a WebSocket after 2 h at most.
   * @default 7_200
   */
  readonly ttlSeconds?: number;
  /**
   * The current time in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /** Receives a (rate-limited) warning for each corrupt record read. @default silentLogger */
  readonly logger?: Logger;
}

const connectionItemSchema = z.object({
  connection_id: z.string(),
  tenant_id: z.string(),
  connected_at: z.string(),
  expires_at: z.optional(z.number()),
});

/**
 * The connection-store port on DynamoDB, one item per connection in the `connectionsTable`
 * layout: `connection_id`, `tenant_id`, `connected_at` and `expires_at` (epoch seconds,
 * `ttlSeconds` after the `put`).
 *
 * `put` overwrites a record with the same id; `get` is a strongly consistent read that answers
 * undefined for an unknown, expired (TTL deletes only eventually) or corrupt record (the last is
 * logged); `delete` of an unknown id succeeds. SDK errors propagate.
 */
export class DynamoDbConnectionStore implements ConnectionStore {
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private readonly corruption: RateLimitedWarning;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbConnectionStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? 7_200;
    assertTtlSeconds(this.ttlSeconds);
    this.now = options.now ?? Date.now;
    this.corruption = new RateLimitedWarning(options.logger ?? silentLogger, this.now, 60_000);
  }

  async put(connection: ConnectionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          connection_id: connection.connectionId,
          tenant_id: connection.tenantId,
          connected_at: connection.connectedAt,
          expires_at: expiresAtSeconds(this.now(), this.ttlSeconds),
        },
      }),
    );
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { connection_id: connectionId },
        ConsistentRead: true,
      }),
    );
    if (item === undefined) return undefined;
    const parsed = connectionItemSchema.safeParse(item);
    if (!parsed.success) {
      this.corruption.warn('Ignoring a connection item that is not a valid record', {
        table: this.tableName,
        connectionId,
        issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
      return undefined;
    }
    if (hasExpired(parsed.data.expires_at, this.now())) return undefined;
    return {
      connectionId: parsed.data.connection_id,
      tenantId: parsed.data.tenant_id,
      connectedAt: parsed.data.connected_at,
    };
  }

  async delete(connectionId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { connection_id: connectionId } }),
    );
  }
}
