/**
 * DynamoDB table specs: defined once, used by the CDK stacks to create the tables and by the
 * local runtime to create the same tables in the embedded DynamoDB.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  /** Logical name; deployments prefix it (`mangaassist-dev-sessions`). */
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute DynamoDB's TTL deletes items by. */
  readonly timeToLiveAttribute?: string;
}

/**
 * Conversation turns: one item per turn, so a session never meets the 400 KB item limit and the
 * last N turns are one Query. `pk` = `<tenant>#<session id>` keeps tenants apart; `turn` is the
 * turn's number in the session; every item expires `sessionTtlSeconds` after it was written.
 */
export const sessionsTable: TableSpec = {
  name: 'sessions',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'turn', type: 'N' },
  timeToLiveAttribute: 'expires_at',
};

/** Open WebSocket connections: who is on the line, until `$disconnect` or the TTL removes them. */
export const connectionsTable: TableSpec = {
  name: 'connections',
  partitionKey: { name: 'connection_id', type: 'S' },
  timeToLiveAttribute: 'expires_at',
};

/**
 * Webhook deliveries already claimed or processed: `source:event-id`, kept past the senders'
 * retry windows (Stripe retries for up to 3 days), so a redelivery is never processed twice.
 */
export const webhookIdempotencyTable: TableSpec = {
  name: 'webhook-idempotency',
  partitionKey: { name: 'idempotency_key', type: 'S' },
  timeToLiveAttribute: 'expires_at',
};

export const tableSpecs = [sessionsTable, connectionsTable, webhookIdempotencyTable] as const;

/** The deployed name of a table: `mangaassist-<stage>-<name>`. */
export function tableName(stage: string, spec: TableSpec): string {
  return `mangaassist-${stage}-${spec.name}`;
}
