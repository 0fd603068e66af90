import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { recordingLogger } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import type { RetentionOptions } from './retention.js';
import { createStringKeyTable, embeddedClient } from './test-support.js';

let dynamo: EmbeddedDynamoDb | undefined;
let client: DynamoDBClient | undefined;

afterEach(async () => {
  client?.destroy();
  await dynamo?.close();
  client = undefined;
  dynamo = undefined;
});

const table = 'retention-test';
const now = Date.parse('2026-12-06T00:00:00Z');

async function start(retention: RetentionOptions = {}, ttl = true) {
  dynamo = await startEmbeddedDynamoDb({
    retention: { now: () => now, sweepIntervalMs: 3_600_000, ...retention },
  });
  client = embeddedClient(dynamo.endpoint);
  await createStringKeyTable(client, table, 'pk');
  if (ttl) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      }),
    );
  }
  return { dynamo, client };
}

const put = (pk: string, expiresAt?: number) =>
  new PutItemCommand({
    TableName: table,
    Item: { pk: { S: pk }, ...(expiresAt !== undefined ? { expires_at: { N: String(expiresAt) } } : {}) },
  });

async function keys(db: DynamoDBClient): Promise<string[]> {
  const { Items = [] } = await db.send(new ScanCommand({ TableName: table }));
  return Items.map((item) => item.pk?.S ?? '').sort();
}

/** Resolves once the retention has seen `count` items of the table (writes are watched after they answer). */
async function seen(db: EmbeddedDynamoDb, count: number): Promise<void> {
  for (let turn = 0; turn < 200; turn += 1) {
    if ((db.retention.stats()[table]?.items ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`retention saw ${db.retention.stats()[table]?.items ?? 0} items, not ${count}`);
}

describe('TableRetention on the embedded DynamoDB', () => {
  it('deletes items whose TTL has passed at its sweep, and keeps the others', async () => {
    const { dynamo: db, client: dynamo } = await start();
    const seconds = Math.floor(now / 1000);
    await dynamo.send(put('expired', seconds - 1));
    await dynamo.send(put('at-the-second', seconds));
    await dynamo.send(put('later', seconds + 60));
    await dynamo.send(put('no-ttl'));
    await seen(db, 4);
    await db.retention.sweep();
    expect(await keys(dynamo)).toEqual(['later', 'no-ttl']);
    expect(db.retention.stats()[table]).toEqual({ items: 2, expired: 2, evicted: 0 });
  });

  it('keeps a table under its bound by deleting the least recently written items, and says so', async () => {
    const logger = recordingLogger();
    const { dynamo: db, client: dynamo } = await start({ maxItemsPerTable: 20, logger });
    for (let index = 0; index < 20; index += 1)
      await dynamo.send(put(`item-${String(index).padStart(2, '0')}`));
    // Written again: now the most recent.
    await dynamo.send(put('item-00'));
    await dynamo.send(put('item-20'));
    for (let turn = 0; turn < 200 && (db.retention.stats()[table]?.evicted ?? 0) < 2; turn += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await db.retention.settled();
    const left = await keys(dynamo);
    expect(left).toHaveLength(19);
    expect(left).toContain('item-00');
    expect(left).not.toContain('item-01');
    expect(left).not.toContain('item-02');
    expect(db.retention.stats()[table]).toMatchObject({ items: 19, evicted: 2 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ table, maxItems: 20 }) }),
    );
  });

  it('follows every kind of write: update, delete, batch and transaction', async () => {
    const { dynamo: db, client: dynamo } = await start({ maxItemsPerTable: 100 });
    const seconds = Math.floor(now / 1000);
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'updated' } },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': { N: '1' } },
      }),
    );
    await dynamo.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: [
            { PutRequest: { Item: { pk: { S: 'batch-expired' }, expires_at: { N: String(seconds - 5) } } } },
            { PutRequest: { Item: { pk: { S: 'batch' } } } },
          ],
        },
      }),
    );
    await dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { pk: { S: 'transacted' }, expires_at: { N: String(seconds - 5) } },
            },
          },
        ],
      }),
    );
    await dynamo.send(put('deleted'));
    await seen(db, 5);
    await dynamo.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'deleted' } } }));
    for (let turn = 0; turn < 200 && (db.retention.stats()[table]?.items ?? 0) !== 4; turn += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(db.retention.stats()[table]?.items).toBe(4);
    await db.retention.sweep();
    expect(await keys(dynamo)).toEqual(['batch', 'updated']);
  });

  it('refuses a bound that is not a positive integer', async () => {
    await expect(startEmbeddedDynamoDb({ retention: { maxItemsPerTable: 0 } })).rejects.toThrow(RangeError);
  });
});
