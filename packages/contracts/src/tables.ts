import * as z from 'zod/mini';
/**
 * DynamoDB table specs: defined once, used by the CDK stacks to create the tables and by the
 * local runtime to create the same tables in the embedded DynamoDB.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/** A global secondary index: another key the table's items are found by (all attributes projected). */
export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableSpec {
  /** Logical name; deployments prefix it (`mangaassist-dev-sessions`). */
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute DynamoDB's TTL deletes items by. */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes?: readonly IndexSpec[];
}

/**
 * Conversation turns: one item per turn, so a session never meets the 400 KB item limit and the
 * last N turns are one Query. `pk` = `<tenant>#<session id>` keeps tenants apart; `turn` is the
 * turn's number in the session, handed out by the session's counter item at `turn` 0
 * (`last_turn`); every item expires `sessionTtlSeconds` after it was written.
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
 * WebSocket tickets issued while Redis (their home) is down, so that browsers can still connect:
 * `ticket_hash` = SHA-256 of the ticket (the table never holds a usable ticket), `tenant_id`, and
 * `expires_at` a minute after issue. Redeemed by a delete that returns what it deleted, so of
 * concurrent redeemers exactly one gets the tenant.
 */
export const wsTicketsTable: TableSpec = {
  name: 'ws-tickets',
  partitionKey: { name: 'ticket_hash', type: 'S' },
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

/** The store's products with what the model wrote about them (`ai_description`, `ai_tags` …). */
export const productsTable: TableSpec = {
  name: 'products',
  partitionKey: { name: 'product_id', type: 'S' },
};

/** Customer reviews as the platform knows them: moderation verdicts, hidden flags and why. */
export const reviewsTable: TableSpec = {
  name: 'reviews',
  partitionKey: { name: 'review_id', type: 'S' },
};

/** InferenceCompleted aggregated per model and UTC day (`pk` = `<model>#<day>`). */
export const inferenceAnalyticsTable: TableSpec = {
  name: 'inference-analytics',
  partitionKey: { name: 'pk', type: 'S' },
  timeToLiveAttribute: 'expires_at',
};

/** Events a consumer has already handled (`<consumer>:<event id>`), so redeliveries and replays are no-ops. */
export const consumedEventsTable: TableSpec = {
  name: 'consumed-events',
  partitionKey: { name: 'idempotency_key', type: 'S' },
  timeToLiveAttribute: 'expires_at',
};

/** The jobs table's index of a tenant's jobs by status: how many run now (the per-tenant cap). */
export const jobsByTenantStatusIndex: IndexSpec = {
  name: 'tenant-status',
  partitionKey: { name: 'tenant_id', type: 'S' },
  sortKey: { name: 'status', type: 'S' },
};

/**
 * Asynchronous document jobs, one item per job (`job_id`, its tenant, status, progress, result
 * summary), and one item per `Idempotency-Key` a tenant sent (`job_id` = `idempotency#<tenant>#<key
 * hash>`, pointing at its job; it has no `status`, so it is not in the index). Both expire
 * `jobLimits.retentionDays` after they were written.
 */
export const jobsTable: TableSpec = {
  name: 'jobs',
  partitionKey: { name: 'job_id', type: 'S' },
  timeToLiveAttribute: 'expires_at',
  globalSecondaryIndexes: [jobsByTenantStatusIndex],
};

/**
 * The latest recommendation list of each segment (`segment`), written by the recommendation
 * workflow only when newer than the one stored (`generated_at`), read by
 * `GET /v1/recommendations`.
 */
export const recommendationsTable: TableSpec = {
  name: 'recommendations',
  partitionKey: { name: 'segment', type: 'S' },
};

export const tableSpecs = [
  sessionsTable,
  connectionsTable,
  wsTicketsTable,
  webhookIdempotencyTable,
  productsTable,
  reviewsTable,
  inferenceAnalyticsTable,
  consumedEventsTable,
  jobsTable,
  recommendationsTable,
] as const;

/** The deployed name of a table: `mangaassist-<stage>-<name>`. */
/** A DynamoDB table name as a function's environment gives it: 3–255 of `[a-zA-Z0-9_.-]`. */
export const tableNameSchema = z.string().check(z.regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'a DynamoDB table name'));

export function tableName(stage: string, spec: TableSpec): string {
  return `mangaassist-${stage}-${spec.name}`;
}
