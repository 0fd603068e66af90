import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { toUsageJson } from '@mangaassist/chat';
import { backoffDelayMs, errorMessage, expiresAtSeconds, hasExpired } from '@mangaassist/commons';
import {
  type JobStatus,
  jobIdSchema,
  jobLimits,
  jobPriorities,
  jobStatuses,
  jobsByTenantStatusIndex,
  jobTypes,
} from '@mangaassist/contracts';
import * as z from 'zod/mini';
import type { JobFailure, JobRecord, JobResult } from '../job.js';
import {
  IdempotencyKeyReusedError,
  type JobChange,
  type JobIdempotency,
  type JobStore,
  JobStoreUnavailableError,
} from '../job-store.js';

export interface DynamoDbJobStoreOptions {
  /** The table built from `jobsTable` (`tableName(stage, jobsTable)`). */
  readonly tableName: string;
  /**
   * Days a job and its idempotency key are kept after the job was stored; written as
   * `expires_at` (epoch seconds) for DynamoDB's TTL.
   * @default jobLimits.retentionDays (30)
   */
  readonly retentionDays?: number;
  /** The current time in epoch milliseconds (`expires_at`, and hiding expired items). @default Date.now */
  readonly now?: () => number;
}

const resultItemSchema = z.object({
  text: z.string(),
  model: z.string(),
  usage: z.object({
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_read_input_tokens: z.number(),
    cache_write_input_tokens: z.number(),
  }),
  cost_usd: z.number(),
  result_key: z.optional(z.string()),
});

/** A job item as written; anything else under a `job_` key is corrupt. */
const jobItemSchema = z.object({
  job_id: jobIdSchema,
  tenant_id: z.string(),
  type: z.enum(jobTypes),
  status: z.enum(jobStatuses),
  priority: z.enum(jobPriorities),
  model: z.string(),
  instructions: z.optional(z.string()),
  language: z.optional(z.string()),
  callback_url: z.optional(z.string()),
  document_key: z.string(),
  chunks_done: z.int(),
  chunks_total: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  execution_id: z.optional(z.string()),
  result: z.optional(resultItemSchema),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
  expires_at: z.number(),
});

type JobItem = z.output<typeof jobItemSchema>;

/** An idempotency item: which job a tenant's key created, and with which request. */
const keyItemSchema = z.object({
  tenant_id: z.string(),
  fingerprint: z.string(),
  target_job_id: jobIdSchema,
  expires_at: z.number(),
});

/** What `addProgress` needs of the item it updated. */
const progressItemSchema = z.object({ chunks_done: z.number(), chunks_total: z.number() });

const cancellationReasonsSchema = z.array(z.object({ Code: z.optional(z.string()) }));

/** Placeholders for every attribute an expression names (`status` is a DynamoDB reserved word). */
const attributeNames = {
  '#jobId': 'job_id',
  '#status': 'status',
  '#chunksTotal': 'chunks_total',
  '#chunksDone': 'chunks_done',
  '#executionId': 'execution_id',
  '#result': 'result',
  '#error': 'error',
  '#updatedAt': 'updated_at',
  '#expiresAt': 'expires_at',
} as const;

type Placeholder = keyof typeof attributeNames;

/** Cancellation reasons a moment later may not show: another transaction on the key, throttling. */
const passingCancellations = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

/** AWS error names of a DynamoDB that is overloaded or briefly unable to answer. */
const unavailableErrorNames = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Socket error codes of a DynamoDB that cannot be reached. */
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Attempts of an idempotent create that meets a transaction in progress on its key. */
const maxCreateAttempts = 4;
const createRetryDelays = { baseDelayMs: 25, maxDelayMs: 200 };

/**
 * The job-store port on DynamoDB (`jobsTable`, keyed by `job_id`), with the semantics of
 * `MemoryJobStore` (the shared behaviour suite holds both to them).
 *
 * A job is one item: `job_id`, `tenant_id`, `type`, `status`, `priority`, `model`,
 * `instructions`?, `language`?, `callback_url`?, `document_key`, `chunks_done`, `chunks_total`,
 * `created_at`, `updated_at`, `execution_id`?, `result`? (a map: `text`, `model`, `usage` with
 * `input_tokens` …, `cost_usd`, `result_key`?), `error`? (`code`, `message`) and `expires_at`
 * (epoch seconds, `retentionDays` after the store's clock at `create`). A tenant's
 * `Idempotency-Key` is one more item in the same table, `job_id` =
 * `idempotency#<tenant>#<SHA-256 hex of the key>` (the table never holds a key as sent), with
 * `tenant_id`, `fingerprint`, `target_job_id` and the same `expires_at`. Only well-formed job ids
 * (`job_` …) are ever read or written as jobs, so no call can reach an idempotency item.
 *
 * - `create`: a Put conditioned on `attribute_not_exists(job_id)`; with `idempotency`, one
 *   transaction of that Put and a Put of the key's item, conditioned on the key being absent or
 *   expired. When the key is taken, a strongly consistent read of its item answers: the same
 *   fingerprint gets its job back (`created: false`), another throws
 *   `IdempotencyKeyReusedError`. A transaction conflict (a concurrent request on the same key), a
 *   key whose job cannot be read (yet) or a key that expired meanwhile is tried again, up to 4
 *   attempts with a short jittered backoff, then `JobStoreUnavailableError` (retryable).
 * - `get`: a strongly consistent Get; an item past `expires_at` reads as gone (DynamoDB's TTL
 *   deletes only eventually).
 * - `transition`: one Update of the given fields only, conditioned on `status IN (from)` and the
 *   item not expired, returning the item (`ALL_NEW`); a failed condition is `undefined`.
 * - `addProgress`: an atomic `ADD chunks_done` conditioned on a running, unexpired job with
 *   `chunks_done < chunks_total`, so concurrent chunks all count and none past the total; a
 *   count above 1 that would overshoot is brought back to `chunks_total` by a second conditional
 *   Update. A failed condition is a silent no-op.
 *
 * Errors: `RangeError` for a malformed job id at `create`, a `chunks` count that is not a
 * positive integer, or bad options; `Error` for a job id already taken, or for an item read back
 * that does not have the layout above; `JobStoreUnavailableError` (with the SDK error as `cause`)
 * when DynamoDB is throttling, failing or unreachable after the SDK's own retries; other SDK
 * errors (a missing table, denied access, a validation error) propagate unchanged: no retry fixes them.
 *
 * @example
 * const jobs = new DynamoDbJobStore(createDocumentClient(), { tableName: tableName('prod', jobsTable) });
 */
export class DynamoDbJobStore implements JobStore {
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    options: DynamoDbJobStoreOptions,
  ) {
    const retentionDays = options.retentionDays ?? jobLimits.retentionDays;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new RangeError(`retentionDays must be a positive integer, got ${retentionDays}`);
    }
    this.tableName = options.tableName;
    this.retentionSeconds = retentionDays * 86_400;
    this.now = options.now ?? Date.now;
  }

  async create(job: JobRecord, idempotency?: JobIdempotency): Promise<{ job: JobRecord; created: boolean }> {
    if (!isJobId(job.jobId)) {
      throw new RangeError(`A job id is job_ and 26 base-32 characters, got ${JSON.stringify(job.jobId)}`);
    }
    if (idempotency) return this.createOnce(job, idempotency);
    const item = toItem(job, expiresAtSeconds(this.now(), this.retentionSeconds));
    try {
      await this.send('create', () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#jobId)',
            ExpressionAttributeNames: pick('#jobId'),
          }),
        ),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw jobIdTaken(job.jobId, error);
      throw error;
    }
    return { job: toRecord(item), created: true };
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    if (!isJobId(jobId)) return undefined;
    const { Item: item } = await this.send('get', () =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { job_id: jobId }, ConsistentRead: true }),
      ),
    );
    if (item === undefined) return undefined;
    const parsed = this.parseJob(item, jobId);
    return hasExpired(parsed.expires_at, this.now()) ? undefined : toRecord(parsed);
  }

  async runningJobIds(tenantId: string): Promise<readonly string[]> {
    const running: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send('runningJobIds', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: jobsByTenantStatusIndex.name,
            KeyConditionExpression: '#tenantId = :tenantId AND #status = :running',
            // An expired job TTL has not deleted yet no longer runs.
            FilterExpression: '#expiresAt > :now',
            ExpressionAttributeNames: {
              '#tenantId': 'tenant_id',
              ...pick('#jobId', '#status', '#expiresAt'),
            },
            ExpressionAttributeValues: {
              ':tenantId': tenantId,
              ':running': 'running',
              ':now': this.now() / 1_000,
            },
            ProjectionExpression: '#jobId',
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.job_id === 'string') running.push(item.job_id);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return running;
  }

  async transition(
    jobId: string,
    from: readonly JobStatus[],
    change: JobChange,
  ): Promise<JobRecord | undefined> {
    // DynamoDB refuses an empty IN list; no status is in it anyway.
    if (!isJobId(jobId) || from.length === 0) return undefined;
    const assignments = changedAttributes(change);
    const values = Object.fromEntries(assignments.map(([name, value]) => [valueFor(name), value]));
    const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
    try {
      const { Attributes: item } = await this.send('transition', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { job_id: jobId },
            UpdateExpression: `SET ${assignments.map(([name]) => `${name} = ${valueFor(name)}`).join(', ')}`,
            ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')}) AND #expiresAt > :now`,
            ExpressionAttributeNames: pick('#status', '#expiresAt', ...assignments.map(([name]) => name)),
            ExpressionAttributeValues: { ...values, ...fromValues, ':now': this.now() / 1_000 },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return item === undefined ? undefined : toRecord(this.parseJob(item, jobId));
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async addProgress(jobId: string, chunks: number, updatedAt: string): Promise<void> {
    if (!Number.isInteger(chunks) || chunks < 1) {
      throw new RangeError(`chunks must be a positive integer, got ${chunks}`);
    }
    if (!isJobId(jobId)) return;
    let updated: Record<string, unknown> | undefined;
    try {
      ({ Attributes: updated } = await this.send('addProgress', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { job_id: jobId },
            UpdateExpression: 'ADD #chunksDone :chunks SET #updatedAt = :updatedAt',
            ConditionExpression: '#status = :running AND #chunksDone < #chunksTotal AND #expiresAt > :now',
            ExpressionAttributeNames: pick(
              '#chunksDone',
              '#chunksTotal',
              '#updatedAt',
              '#status',
              '#expiresAt',
            ),
            ExpressionAttributeValues: {
              ':chunks': chunks,
              ':updatedAt': updatedAt,
              ':running': 'running',
              ':now': this.now() / 1_000,
            },
            // One chunk cannot overshoot (the condition held chunks_done below the total).
            ReturnValues: chunks > 1 ? 'ALL_NEW' : 'NONE',
          }),
        ),
      ));
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw error;
    }
    const progress = progressItemSchema.safeParse(updated);
    if (!progress.success || progress.data.chunks_done <= progress.data.chunks_total) return;
    try {
      await this.send('addProgress', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { job_id: jobId },
            UpdateExpression: 'SET #chunksDone = #chunksTotal',
            ConditionExpression: '#chunksDone > #chunksTotal',
            ExpressionAttributeNames: pick('#chunksDone', '#chunksTotal'),
          }),
        ),
      );
    } catch (error) {
      // Another call brought it back (or changed the total) first.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async findIdempotent(tenantId: string, idempotency: JobIdempotency): Promise<JobRecord | undefined> {
    const first = await this.readKey(idempotencyItemId(tenantId, idempotency.key));
    if (first === undefined) return undefined;
    if (first.fingerprint !== idempotency.fingerprint)
      throw new IdempotencyKeyReusedError(first.target_job_id);
    return this.get(first.target_job_id);
  }

  /** `create` under an Idempotency-Key: one transaction, and what to answer when the key is taken. */
  private async createOnce(
    job: JobRecord,
    idempotency: JobIdempotency,
  ): Promise<{ job: JobRecord; created: boolean }> {
    const keyId = idempotencyItemId(job.tenantId, idempotency.key);
    for (let attempt = 1; attempt <= maxCreateAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelayMs(attempt - 2, createRetryDelays));
      const now = this.now();
      const expiresAt = expiresAtSeconds(now, this.retentionSeconds);
      const item = toItem(job, expiresAt);
      try {
        await this.send('create', () =>
          this.client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: this.tableName,
                    Item: {
                      job_id: keyId,
                      tenant_id: job.tenantId,
                      fingerprint: idempotency.fingerprint,
                      target_job_id: job.jobId,
                      expires_at: expiresAt,
                    },
                    // An expired key is free: DynamoDB's TTL deletes it only eventually.
                    ConditionExpression: 'attribute_not_exists(#jobId) OR #expiresAt <= :now',
                    ExpressionAttributeNames: pick('#jobId', '#expiresAt'),
                    ExpressionAttributeValues: { ':now': now / 1_000 },
                  },
                },
                {
                  Put: {
                    TableName: this.tableName,
                    Item: item,
                    ConditionExpression: 'attribute_not_exists(#jobId)',
                    ExpressionAttributeNames: pick('#jobId'),
                  },
                },
              ],
            }),
          ),
        );
        return { job: toRecord(item), created: true };
      } catch (error) {
        const reasons = cancellationCodes(error) ?? [];
        const [keyReason, jobReason] = reasons;
        if (keyReason === 'ConditionalCheckFailed') {
          const first = await this.readKey(keyId);
          if (first === undefined) continue; // expired or gone since the transaction: try again
          if (first.fingerprint !== idempotency.fingerprint) {
            throw new IdempotencyKeyReusedError(first.target_job_id);
          }
          const existing = await this.get(first.target_job_id);
          if (existing !== undefined) return { job: existing, created: false };
          continue; // the key's job cannot be read (yet): try again
        }
        if (jobReason === 'ConditionalCheckFailed') throw jobIdTaken(job.jobId, error);
        if (!reasons.some((reason) => reason !== undefined && passingCancellations.has(reason))) throw error;
      }
    }
    throw new JobStoreUnavailableError(
      `Job store create failed: the Idempotency-Key stayed busy or its job unreadable after ${maxCreateAttempts} attempts; retry shortly.`,
    );
  }

  /** The unexpired idempotency item under `keyId` (strongly consistent), or `undefined`. */
  private async readKey(keyId: string): Promise<z.output<typeof keyItemSchema> | undefined> {
    const { Item: item } = await this.send('create', () =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { job_id: keyId }, ConsistentRead: true }),
      ),
    );
    if (item === undefined) return undefined;
    const parsed = keyItemSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(
        `The idempotency item ${keyId} in ${this.tableName} is malformed: ${describeIssues(parsed.error)}`,
        {
          cause: parsed.error,
        },
      );
    }
    return hasExpired(parsed.data.expires_at, this.now()) ? undefined : parsed.data;
  }

  private parseJob(item: Record<string, unknown>, jobId: string): JobItem {
    const parsed = jobItemSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(
        `The job item ${jobId} in ${this.tableName} is malformed: ${describeIssues(parsed.error)}`,
        {
          cause: parsed.error,
        },
      );
    }
    return parsed.data;
  }

  /** Runs one SDK call; throttling, server faults and network failures become `JobStoreUnavailableError`. */
  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      throw new JobStoreUnavailableError(`Job store ${operation} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/** The idempotency item's key: the tenant as given, the key hashed (fixed length, never stored as sent). */
function idempotencyItemId(tenantId: string, key: string): string {
  return `idempotency#${tenantId}#${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

function isJobId(jobId: string): boolean {
  return jobIdSchema.safeParse(jobId).success;
}

/** The job's item, without attributes for absent fields (the client may not drop undefined values). */
function toItem(job: JobRecord, expiresAt: number): JobItem {
  return {
    job_id: job.jobId,
    tenant_id: job.tenantId,
    type: job.type,
    status: job.status,
    priority: job.priority,
    model: job.model,
    ...(job.instructions !== undefined ? { instructions: job.instructions } : {}),
    ...(job.language !== undefined ? { language: job.language } : {}),
    ...(job.callbackUrl !== undefined ? { callback_url: job.callbackUrl } : {}),
    document_key: job.documentKey,
    chunks_done: job.chunksDone,
    chunks_total: job.chunksTotal,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(job.executionId !== undefined ? { execution_id: job.executionId } : {}),
    ...(job.result !== undefined ? { result: toResultItem(job.result) } : {}),
    ...(job.error !== undefined ? { error: toErrorItem(job.error) } : {}),
    expires_at: expiresAt,
  };
}

function toRecord(item: JobItem): JobRecord {
  const { result, error } = item;
  return {
    jobId: item.job_id,
    tenantId: item.tenant_id,
    type: item.type,
    status: item.status,
    priority: item.priority,
    model: item.model,
    ...(item.instructions !== undefined ? { instructions: item.instructions } : {}),
    ...(item.language !== undefined ? { language: item.language } : {}),
    ...(item.callback_url !== undefined ? { callbackUrl: item.callback_url } : {}),
    documentKey: item.document_key,
    chunksDone: item.chunks_done,
    chunksTotal: item.chunks_total,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
    ...(item.execution_id !== undefined ? { executionId: item.execution_id } : {}),
    ...(result !== undefined
      ? {
          result: {
            text: result.text,
            model: result.model,
            usage: {
              inputTokens: result.usage.input_tokens,
              outputTokens: result.usage.output_tokens,
              cacheReadInputTokens: result.usage.cache_read_input_tokens,
              cacheWriteInputTokens: result.usage.cache_write_input_tokens,
            },
            costUsd: result.cost_usd,
            ...(result.result_key !== undefined ? { resultKey: result.result_key } : {}),
          },
        }
      : {}),
    ...(error !== undefined ? { error: { code: error.code, message: error.message } } : {}),
  };
}

function toResultItem(result: JobResult): z.output<typeof resultItemSchema> {
  return {
    text: result.text,
    model: result.model,
    usage: toUsageJson(result.usage),
    cost_usd: result.costUsd,
    ...(result.resultKey !== undefined ? { result_key: result.resultKey } : {}),
  };
}

function toErrorItem(error: JobFailure): { code: string; message: string } {
  return { code: error.code, message: error.message };
}

/** The `SET` assignments of a change: the fields it gives, in a fixed order, `updated_at` last. */
function changedAttributes(change: JobChange): [Placeholder, unknown][] {
  const assignments: [Placeholder, unknown][] = [
    ['#status', change.status],
    ['#chunksTotal', change.chunksTotal],
    ['#chunksDone', change.chunksDone],
    ['#executionId', change.executionId],
    ['#result', change.result && toResultItem(change.result)],
    ['#error', change.error && toErrorItem(change.error)],
    ['#updatedAt', change.updatedAt],
  ];
  return assignments.filter(([, value]) => value !== undefined);
}

/** The value placeholder of an attribute's new value: `#status` is set to `:status`. */
function valueFor(name: Placeholder): string {
  return `:${name.slice(1)}`;
}

/** The expression attribute names an expression uses (DynamoDB rejects unused ones). */
function pick(...placeholders: Placeholder[]): Record<string, string> {
  return Object.fromEntries(placeholders.map((placeholder) => [placeholder, attributeNames[placeholder]]));
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The per-action reason codes of a cancelled transaction, or `undefined` for any other error. */
function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = cancellationReasonsSchema.safeParse(
    'CancellationReasons' in error ? error.CancellationReasons : undefined,
  );
  return reasons.success ? reasons.data.map((reason) => reason.Code) : undefined;
}

/**
 * Throttling, server faults and network failures: DynamoDB may well answer the same call a moment
 * later. Client faults (a missing table, denied access, a bad expression) and failed conditions
 * are not, and neither is an error that is not the SDK's.
 */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unavailableErrorNames.has(error.name)) return true;
  if ('code' in error && typeof error.code === 'string' && networkErrorCodes.has(error.code)) return true;
  if ('$retryable' in error && error.$retryable !== undefined) return true;
  return '$fault' in error && error.$fault === 'server';
}

function jobIdTaken(jobId: string, cause: unknown): Error {
  return new Error(`A job with id ${jobId} already exists.`, { cause });
}

function describeIssues(error: {
  readonly issues: readonly { path: PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || '(item)'}: ${issue.message}`)
    .join('; ');
}
