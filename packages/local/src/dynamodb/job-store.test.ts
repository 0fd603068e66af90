// The DynamoDB job store through the real SDK against the embedded DynamoDB (dynalite, with this
// package's TransactWriteItems), on a table created from the same `jobsTable` spec the CDK stack
// deploys: the JobStore behaviour suite, the items as stored, and an unreachable endpoint.
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { closedPort } from '@mangaassist/commons/testing';
import { jobLimits, jobsTable, tableName } from '@mangaassist/contracts';
import { JobStoreUnavailableError } from '@mangaassist/jobs';
import { DynamoDbJobStore, type DynamoDbJobStoreOptions } from '@mangaassist/jobs/dynamodb';
import { describeJobStore, jobRecord, jobResult } from '@mangaassist/jobs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import { ensureTables } from './ensure-tables.js';
import { embeddedClient } from './test-support.js';

const stage = 'test';
const jobs = tableName(stage, jobsTable);
const epoch = Date.UTC(2026, 0, 1);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynamo: EmbeddedDynamoDb;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  const client = embeddedClient(dynamo.endpoint);
  await ensureTables(client, stage, [jobsTable]);
  client.destroy();
  documents = createDocumentClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-1', credentials });
});

afterAll(async () => {
  documents.destroy();
  await dynamo.close();
});

function jobStore(options: Partial<DynamoDbJobStoreOptions> = {}) {
  return new DynamoDbJobStore(documents, { tableName: jobs, now: () => epoch, ...options });
}

async function storedItem(jobId: string) {
  const { Item: item } = await documents.send(
    new GetCommand({ TableName: jobs, Key: { job_id: jobId }, ConsistentRead: true }),
  );
  return item;
}

describeJobStore(
  'DynamoDbJobStore on the embedded DynamoDB',
  (options) => new DynamoDbJobStore(documents, { tableName: jobs, ...options }),
);

describe('DynamoDbJobStore items', () => {
  it('stores a job as one snake_case item that expires retentionDays after it was stored', async () => {
    const job = jobRecord({
      status: 'succeeded',
      callbackUrl: 'https://example.com/cb',
      executionId: 'exec-1',
      result: jobResult({ resultKey: 'jobs/job_x/result.txt' }),
      error: { code: 'model_failed', message: 'The model failed.' },
    });
    await jobStore().create(job);
    expect(await storedItem(job.jobId)).toStrictEqual({
      job_id: job.jobId,
      tenant_id: 'tenant-1',
      type: 'summarize',
      status: 'succeeded',
      priority: 'normal',
      model: 'auto',
      callback_url: 'https://example.com/cb',
      document_key: job.documentKey,
      chunks_done: 0,
      chunks_total: 0,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
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
        result_key: 'jobs/job_x/result.txt',
      },
      error: { code: 'model_failed', message: 'The model failed.' },
      expires_at: epoch / 1_000 + jobLimits.retentionDays * 86_400,
    });
  });

  it('stores an Idempotency-Key as an item keyed by tenant and the key’s SHA-256, never the key itself', async () => {
    const job = jobRecord({ tenantId: 'tenant-hash' });
    await jobStore({ retentionDays: 2 }).create(job, { key: 'order-42', fingerprint: 'fp-1' });
    const hash = createHash('sha256').update('order-42').digest('hex');
    expect(await storedItem(`idempotency#tenant-hash#${hash}`)).toStrictEqual({
      job_id: `idempotency#tenant-hash#${hash}`,
      tenant_id: 'tenant-hash',
      fingerprint: 'fp-1',
      target_job_id: job.jobId,
      expires_at: epoch / 1_000 + 2 * 86_400,
    });
  });

  it('never reads an idempotency item as a job', async () => {
    const store = jobStore();
    const job = jobRecord({ tenantId: 'tenant-namespace' });
    await store.create(job, { key: 'k', fingerprint: 'f' });
    const keyId = `idempotency#tenant-namespace#${createHash('sha256').update('k').digest('hex')}`;
    expect(await store.get(keyId)).toBeUndefined();
    expect(
      await store.transition(keyId, ['queued'], { status: 'running', updatedAt: 'later' }),
    ).toBeUndefined();
    await store.addProgress(keyId, 1, 'later');
    expect(await storedItem(keyId)).not.toHaveProperty('status');
  });

  it('fails clearly on a job item that does not have the job layout', async () => {
    const job = jobRecord();
    await documents.send(
      new PutCommand({ TableName: jobs, Item: { job_id: job.jobId, status: 'exploded', expires_at: 0 } }),
    );
    await expect(jobStore().get(job.jobId)).rejects.toThrow(
      new RegExp(`The job item ${job.jobId} in ${jobs} is malformed: .*status`),
    );
  });

  it('throws JobStoreUnavailableError when DynamoDB cannot be reached', async () => {
    const unreachable = createDocumentClient({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      region: 'ap-northeast-1',
      credentials,
    });
    const store = new DynamoDbJobStore(unreachable, { tableName: jobs });
    await expect(store.get(jobRecord().jobId)).rejects.toBeInstanceOf(JobStoreUnavailableError);
    await expect(store.create(jobRecord(), { key: 'k', fingerprint: 'f' })).rejects.toBeInstanceOf(
      JobStoreUnavailableError,
    );
    unreachable.destroy();
  });
});
