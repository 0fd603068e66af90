// The DynamoDB job store's requests and the paths a healthy table rarely shows (a key whose job is
// not readable yet, transaction conflicts, malformed items, errors); the behaviour suite runs
// against the embedded DynamoDB in packages/local/src/dynamodb/job-store.test.ts.
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { awsError } from '@mangaassist/commons/testing';
import { jobLimits } from '@mangaassist/contracts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError, JobStoreUnavailableError } from '../job-store.js';
import { jobRecord, jobResult, newJobId } from '../testing/job-store-contract.js';
import { DynamoDbJobStore, type DynamoDbJobStoreOptions } from './dynamodb-job-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-jobs';
const now = Date.UTC(2026, 0, 1);
const nowSeconds = now / 1_000;
const expiresAt = nowSeconds + jobLimits.retentionDays * 86_400;
const later = '2026-01-01T00:05:00.000Z';
/** `idempotency#tenant-1#` and the SHA-256 of `order-42`. */
const keyId = 'idempotency#tenant-1#3bf8b157c4238eefe5ae4a66eca81c6b887d4dcedb58dd674271859f4dc2edfd';

beforeEach(() => {
  dynamo.reset();
});

function makeStore(options: Partial<DynamoDbJobStoreOptions> = {}) {
  return new DynamoDbJobStore(documents, { tableName, now: () => now, ...options });
}

const job = jobRecord({ jobId: 'job_aaaaaaaaaaaaaaaaaaaaaaaaaa' });

/** `job` as its item. */
function jobItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_id: job.jobId,
    tenant_id: 'tenant-1',
    type: 'summarize',
    status: 'queued',
    priority: 'normal',
    model: 'auto',
    document_key: job.documentKey,
    chunks_done: 0,
    chunks_total: 0,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    expires_at: expiresAt,
    ...overrides,
  };
}

function keyItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_id: keyId,
    tenant_id: 'tenant-1',
    fingerprint: 'fp-1',
    target_job_id: job.jobId,
    expires_at: expiresAt,
    ...overrides,
  };
}

function conditionFailed() {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** A cancelled transaction with one reason code per action: [key item, job item]. */
function cancelled(keyReason: string, jobReason = 'None') {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: keyReason }, { Code: jobReason }],
  });
}

/** Answers each Get by its key: the idempotency item or the job item. */
function getsAnswer(answers: { key?: () => unknown; job?: () => unknown }) {
  dynamo.on(GetCommand).callsFake(async (input: GetCommandInput) => ({
    Item: input.Key?.job_id === keyId ? answers.key?.() : answers.job?.(),
  }));
}

const idempotency = { key: 'order-42', fingerprint: 'fp-1' };

describe('DynamoDbJobStore.create', () => {
  it('puts the job as one snake_case item on condition that its id is free', async () => {
    dynamo.on(PutCommand).resolves({});
    const full = { ...job, instructions: '三行で', executionId: 'exec-1', result: jobResult() };
    expect(await makeStore().create(full)).toStrictEqual({ job: full, created: true });
    expect(dynamo).toReceiveCommandWith(PutCommand, {
      TableName: tableName,
      Item: jobItem({
        instructions: '三行で',
        execution_id: 'exec-1',
        result: {
          text: jobResult().text,
          model: 'claude-haiku-4-5',
          usage: {
            input_tokens: 1_200,
            output_tokens: 80,
            cache_read_input_tokens: 0,
            cache_write_input_tokens: 0,
          },
          cost_usd: 0.0016,
        },
      }),
      ConditionExpression: 'attribute_not_exists(#jobId)',
      ExpressionAttributeNames: { '#jobId': 'job_id' },
    });
  });

  it('writes expires_at retentionDays after its own clock, whatever createdAt says', async () => {
    dynamo.on(PutCommand).resolves({});
    await makeStore({ retentionDays: 7 }).create({ ...job, createdAt: '2020-01-01T00:00:00.000Z' });
    expect(dynamo).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({ expires_at: nowSeconds + 7 * 86_400 }),
    });
  });

  it('refuses a job id already taken, on a failed condition', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    await expect(makeStore().create(job)).rejects.toThrow(`A job with id ${job.jobId} already exists.`);
  });

  it('sends nothing for an id that is not a job id', async () => {
    await expect(makeStore().create({ ...job, jobId: keyId })).rejects.toBeInstanceOf(RangeError);
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('DynamoDbJobStore.create with an Idempotency-Key', () => {
  it('writes the key item and the job in one transaction, the key on condition that it is free or expired', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    expect(await makeStore().create(job, idempotency)).toStrictEqual({ job, created: true });
    expect(dynamo).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: keyItem(),
            ConditionExpression: 'attribute_not_exists(#jobId) OR #expiresAt <= :now',
            ExpressionAttributeNames: { '#jobId': 'job_id', '#expiresAt': 'expires_at' },
            ExpressionAttributeValues: { ':now': nowSeconds },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: jobItem(),
            ConditionExpression: 'attribute_not_exists(#jobId)',
            ExpressionAttributeNames: { '#jobId': 'job_id' },
          },
        },
      ],
    });
  });

  it('answers the first job when the key is taken with the same fingerprint, read strongly consistently', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    getsAnswer({ key: () => keyItem(), job: () => jobItem({ status: 'running' }) });
    const repeat = jobRecord();
    expect(await makeStore().create(repeat, idempotency)).toStrictEqual({
      job: { ...job, status: 'running' },
      created: false,
    });
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      TableName: tableName,
      Key: { job_id: keyId },
      ConsistentRead: true,
    });
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      TableName: tableName,
      Key: { job_id: job.jobId },
      ConsistentRead: true,
    });
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('throws IdempotencyKeyReusedError naming the first job for another fingerprint, without reading the job', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    getsAnswer({ key: () => keyItem({ fingerprint: 'fp-other' }) });
    const error = await makeStore()
      .create(jobRecord(), idempotency)
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(error).toMatchObject({ jobId: job.jobId });
    expect(dynamo).toReceiveCommandTimes(GetCommand, 1);
  });

  it('tries again when the key’s job cannot be read yet, and answers it once it can', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    let jobReads = 0;
    getsAnswer({ key: () => keyItem(), job: () => (++jobReads > 1 ? jobItem() : undefined) });
    expect(await makeStore().create(jobRecord(), idempotency)).toStrictEqual({ job, created: false });
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 2);
  });

  it('throws JobStoreUnavailableError when the key’s job stays unreadable, after 4 attempts', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    getsAnswer({ key: () => keyItem() });
    await expect(makeStore().create(jobRecord(), idempotency)).rejects.toBeInstanceOf(
      JobStoreUnavailableError,
    );
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 4);
  });

  it('creates the job when the key expired between the failed transaction and the read', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled('ConditionalCheckFailed')).resolves({});
    getsAnswer({ key: () => keyItem({ expires_at: nowSeconds }) });
    expect(await makeStore().create(job, idempotency)).toStrictEqual({ job, created: true });
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 2);
  });

  it('tries again after a conflict with another transaction on the key', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict')).resolves({});
    expect(await makeStore().create(job, idempotency)).toStrictEqual({ job, created: true });
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 2);
  });

  it('throws JobStoreUnavailableError when the transaction stays throttled', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'ThrottlingError'));
    await expect(makeStore().create(job, idempotency)).rejects.toBeInstanceOf(JobStoreUnavailableError);
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 4);
  });

  it('refuses a job id already taken under a free key', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    await expect(makeStore().create(job, idempotency)).rejects.toThrow('already exists');
    expect(dynamo).toReceiveCommandTimes(GetCommand, 0);
  });

  it('lets a cancellation no retry can fix through unchanged', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ValidationError'));
    await expect(makeStore().create(job, idempotency)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('fails clearly on an idempotency item that does not have the key layout', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    getsAnswer({ key: () => keyItem({ target_job_id: 42 }) });
    await expect(makeStore().create(job, idempotency)).rejects.toThrow(
      `The idempotency item ${keyId} in ${tableName} is malformed: target_job_id`,
    );
  });
});

describe('DynamoDbJobStore.findIdempotent', () => {
  it('reads the key strongly consistently, then its job; nothing for a free key', async () => {
    getsAnswer({ key: () => keyItem(), job: () => jobItem({ status: 'running' }) });
    expect(await makeStore().findIdempotent(job.tenantId, idempotency)).toStrictEqual({
      ...job,
      status: 'running',
    });
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      TableName: tableName,
      Key: { job_id: keyId },
      ConsistentRead: true,
    });

    dynamo.reset();
    getsAnswer({});
    expect(await makeStore().findIdempotent(job.tenantId, idempotency)).toBeUndefined();
    expect(dynamo).toReceiveCommandTimes(GetCommand, 1);
  });

  it('throws IdempotencyKeyReusedError for another fingerprint, without reading the job', async () => {
    getsAnswer({ key: () => keyItem({ fingerprint: 'fp-other' }) });
    await expect(makeStore().findIdempotent(job.tenantId, idempotency)).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
    expect(dynamo).toReceiveCommandTimes(GetCommand, 1);
  });
});

describe('DynamoDbJobStore.get', () => {
  it('reads the item strongly consistently and answers it as a job', async () => {
    dynamo.on(GetCommand).resolves({ Item: jobItem({ callback_url: 'https://example.com/cb' }) });
    expect(await makeStore().get(job.jobId)).toStrictEqual({ ...job, callbackUrl: 'https://example.com/cb' });
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      TableName: tableName,
      Key: { job_id: job.jobId },
      ConsistentRead: true,
    });
  });

  it('answers undefined, without a call, for an idempotency item’s id', async () => {
    expect(await makeStore().get(keyId)).toBeUndefined();
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers undefined for an item past its expires_at, which the TTL has not deleted yet', async () => {
    dynamo.on(GetCommand).resolves({ Item: jobItem({ expires_at: nowSeconds }) });
    expect(await makeStore().get(job.jobId)).toBeUndefined();
  });

  it('fails clearly on an item that does not have the job layout', async () => {
    dynamo.on(GetCommand).resolves({ Item: jobItem({ status: 'exploded', chunks_done: '3' }) });
    await expect(makeStore().get(job.jobId)).rejects.toThrow(
      new RegExp(`^The job item ${job.jobId} in ${tableName} is malformed: status: .*; chunks_done: `),
    );
  });
});

describe('DynamoDbJobStore.transition', () => {
  it('sets only the given fields, on condition of the status and an unexpired item, and answers the new item', async () => {
    dynamo
      .on(UpdateCommand)
      .resolves({ Attributes: jobItem({ status: 'running', execution_id: 'exec-1', updated_at: later }) });
    expect(
      await makeStore().transition(job.jobId, ['queued', 'running'], {
        status: 'running',
        executionId: 'exec-1',
        updatedAt: later,
      }),
    ).toStrictEqual({ ...job, status: 'running', executionId: 'exec-1', updatedAt: later });
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: tableName,
      Key: { job_id: job.jobId },
      UpdateExpression: 'SET #status = :status, #executionId = :executionId, #updatedAt = :updatedAt',
      ConditionExpression: '#status IN (:from0, :from1) AND #expiresAt > :now',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#expiresAt': 'expires_at',
        '#executionId': 'execution_id',
        '#updatedAt': 'updated_at',
      },
      ExpressionAttributeValues: {
        ':status': 'running',
        ':executionId': 'exec-1',
        ':updatedAt': later,
        ':from0': 'queued',
        ':from1': 'running',
        ':now': nowSeconds,
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('writes counts, a result and an error as snake_case attributes', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: jobItem() });
    await makeStore().transition(job.jobId, ['running'], {
      status: 'failed',
      chunksTotal: 4,
      chunksDone: 4,
      result: jobResult({ resultKey: 'jobs/x/result.txt' }),
      error: { code: 'model_failed', message: 'No model answered.' },
      updatedAt: later,
    });
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression:
        'SET #status = :status, #chunksTotal = :chunksTotal, #chunksDone = :chunksDone, #result = :result, #error = :error, #updatedAt = :updatedAt',
      ExpressionAttributeValues: expect.objectContaining({
        ':chunksTotal': 4,
        ':chunksDone': 4,
        ':result': expect.objectContaining({ cost_usd: 0.0016, result_key: 'jobs/x/result.txt' }),
        ':error': { code: 'model_failed', message: 'No model answered.' },
      }),
    });
  });

  it('answers undefined when the condition fails (another status, no job, or expired)', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    expect(
      await makeStore().transition(job.jobId, ['queued'], { status: 'running', updatedAt: later }),
    ).toBeUndefined();
  });

  it('sends nothing for an empty list of statuses or an id that is not a job id', async () => {
    const change = { status: 'running', updatedAt: later } as const;
    expect(await makeStore().transition(job.jobId, [], change)).toBeUndefined();
    expect(await makeStore().transition(keyId, ['queued'], change)).toBeUndefined();
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('DynamoDbJobStore.addProgress', () => {
  it('adds one chunk atomically, on condition that the job is running, unexpired and below its total', async () => {
    dynamo.on(UpdateCommand).resolves({});
    await makeStore().addProgress(job.jobId, 1, later);
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: tableName,
      Key: { job_id: job.jobId },
      UpdateExpression: 'ADD #chunksDone :chunks SET #updatedAt = :updatedAt',
      ConditionExpression: '#status = :running AND #chunksDone < #chunksTotal AND #expiresAt > :now',
      ExpressionAttributeNames: {
        '#chunksDone': 'chunks_done',
        '#chunksTotal': 'chunks_total',
        '#updatedAt': 'updated_at',
        '#status': 'status',
        '#expiresAt': 'expires_at',
      },
      ExpressionAttributeValues: {
        ':chunks': 1,
        ':updatedAt': later,
        ':running': 'running',
        ':now': nowSeconds,
      },
      ReturnValues: 'NONE',
    });
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('brings a count of several chunks that overshot back to chunks_total with a second conditional update', async () => {
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: jobItem({ status: 'running', chunks_done: 5, chunks_total: 4 }) })
      .resolves({});
    await makeStore().addProgress(job.jobId, 3, later);
    expect(dynamo).toReceiveCommandWith(UpdateCommand, { ReturnValues: 'ALL_NEW' });
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: tableName,
      Key: { job_id: job.jobId },
      UpdateExpression: 'SET #chunksDone = #chunksTotal',
      ConditionExpression: '#chunksDone > #chunksTotal',
      ExpressionAttributeNames: { '#chunksDone': 'chunks_done', '#chunksTotal': 'chunks_total' },
    });
  });

  it('sends no second update when several chunks stay within the total', async () => {
    dynamo
      .on(UpdateCommand)
      .resolves({ Attributes: jobItem({ status: 'running', chunks_done: 4, chunks_total: 4 }) });
    await makeStore().addProgress(job.jobId, 3, later);
    expect(dynamo).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('does nothing, without error, when the condition fails', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(makeStore().addProgress(job.jobId, 1, later)).resolves.toBeUndefined();
  });

  it('sends nothing for an id that is not a job id', async () => {
    await makeStore().addProgress(keyId, 1, later);
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('DynamoDbJobStore errors', () => {
  it.each([
    ['throttling', awsError('ProvisionedThroughputExceededException', 'Slow down')],
    ['a throttled account', awsError('ThrottlingException', 'Rate exceeded')],
    ['a server fault', Object.assign(awsError('InternalServerError', 'boom'), { $fault: 'server' })],
    ['an unnamed server fault', Object.assign(awsError('UnknownError', 'boom'), { $fault: 'server' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a request timeout', awsError('TimeoutError', 'Request timed out')],
  ])('throws JobStoreUnavailableError, with the SDK error as its cause, on %s', async (_, error) => {
    dynamo.on(GetCommand).rejects(error);
    const failure = await makeStore()
      .get(job.jobId)
      .catch((reason: unknown) => reason);
    expect(failure).toBeInstanceOf(JobStoreUnavailableError);
    expect(failure).toMatchObject({ cause: error });
  });

  it('maps failures of every call, writes included', async () => {
    const throttled = awsError('ThrottlingException');
    dynamo.on(PutCommand).rejects(throttled).on(UpdateCommand).rejects(throttled);
    const store = makeStore();
    await expect(store.create(jobRecord())).rejects.toBeInstanceOf(JobStoreUnavailableError);
    await expect(store.transition(job.jobId, ['queued'], { updatedAt: later })).rejects.toBeInstanceOf(
      JobStoreUnavailableError,
    );
    await expect(store.addProgress(job.jobId, 1, later)).rejects.toBeInstanceOf(JobStoreUnavailableError);
  });

  it('lets a client fault through unchanged: no retry fixes a missing table', async () => {
    const missing = Object.assign(awsError('ResourceNotFoundException', 'Requested resource not found'), {
      $fault: 'client',
    });
    dynamo.on(GetCommand).rejects(missing);
    await expect(makeStore().get(newJobId())).rejects.toBe(missing);
  });

  it('rejects a retentionDays that is not a positive integer', () => {
    expect(() => makeStore({ retentionDays: 0 })).toThrow(RangeError);
    expect(() => makeStore({ retentionDays: 2.5 })).toThrow(RangeError);
  });
});
