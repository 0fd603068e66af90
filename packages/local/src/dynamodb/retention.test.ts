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
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import { type RetentionOptions, TableRetention } from './retention.js';
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
const start0 = Date.parse('2026-12-06T00:00:00Z');
let now = start0;
beforeEach(() => {
  now = start0;
});

async function start(options: RetentionOptions = {}, ttl = true) {
  dynamo = await startEmbeddedDynamoDb({
    retention: { now: () => now, sweepIntervalMs: 3_600_000, ...options },
  });
  client = embeddedClient(dynamo.endpoint);
  await createStringKeyTable(client, table, 'pk');
  const { retention } = dynamo;
  if (retention === undefined) throw new Error('the embedded DynamoDB started without retention');
  if (ttl) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      }),
    );
  }
  return { dynamo, client, retention };
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
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`still waiting for ${what}`);
}

const itemsSeen = (retention: TableRetention) => retention.stats()[table]?.items ?? 0;

describe('TableRetention on its own', () => {
  it('tracks nothing, and throws nothing, for a table it cannot describe', async () => {
    const retention = new TableRetention(
      async () => {
        throw new Error('connection refused');
      },
      () => undefined,
    );
    await retention.observe('PutItem', { TableName: 'gone', Item: { pk: { S: 'a' } } });
    expect(retention.stats()).toEqual({});
    retention.close();
  });

  it('never evicts an item written again after it was picked', async () => {
    const deleted: unknown[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const retention = new TableRetention(
      async (operation, input) => {
        if (operation === 'DescribeTable') {
          return { status: 200, body: { Table: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } } };
        }
        await held;
        deleted.push(...deleteKeysOf(input));
        return { status: 200, body: {} };
      },
      () => undefined,
      { maxItemsPerTable: 20 },
    );
    const put = (pk: string) => retention.observe('PutItem', { TableName: table, Item: { pk: { S: pk } } });
    // Over the bound: item-00 and item-01 are picked, and their delete is sent (held).
    for (let index = 0; index <= 20; index += 1) await put(`item-${String(index).padStart(2, '0')}`);
    // Over it again: item-02 and item-03 are picked, waiting behind; item-03 is written again.
    await put('item-21');
    await put('item-22');
    await put('item-03');
    release();
    await retention.settled();
    expect(deleted).toEqual(['item-00', 'item-01', 'item-02'].map((pk) => ({ pk: { S: pk } })));
    expect(retention.stats()[table]).toEqual({ items: 20, expired: 0, evicted: 3 });
    retention.close();
  });

  it('evicts in batches of 25 deletes, one round trip each, and retries what DynamoDB left unprocessed', async () => {
    const calls: unknown[][] = [];
    let unprocessedOnce: unknown[] = [];
    const retention = new TableRetention(
      async (operation, input) => {
        if (operation === 'DescribeTable') {
          return { status: 200, body: { Table: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } } };
        }
        expect(operation).toBe('BatchWriteItem');
        calls.push(deleteKeysOf(input));
        const unprocessed = unprocessedOnce.map((Key) => ({ DeleteRequest: { Key } }));
        unprocessedOnce = [];
        return {
          status: 200,
          body: { UnprocessedItems: unprocessed.length > 0 ? { [table]: unprocessed } : {} },
        };
      },
      () => undefined,
      { maxItemsPerTable: 1000 },
    );
    for (let index = 0; index < 1000; index += 1) {
      await retention.observe('PutItem', { TableName: table, Item: { pk: { S: `item-${index}` } } });
    }
    expect(calls).toEqual([]);
    // One over the bound: down to 950 items, so the 51 oldest go; DynamoDB leaves one for later.
    unprocessedOnce = [{ pk: { S: 'item-0' } }];
    await retention.observe('PutItem', { TableName: table, Item: { pk: { S: 'newest' } } });
    await retention.settled();
    expect(calls.map((keys) => keys.length)).toEqual([25, 1, 25, 1]);
    expect(calls[1]).toEqual([{ pk: { S: 'item-0' } }]);
    expect(calls[3]).toEqual([{ pk: { S: 'item-50' } }]);
    expect(retention.stats()[table]).toEqual({ items: 950, expired: 0, evicted: 51 });
    retention.close();
  });
});

/** The keys a DeleteItem, or a BatchWriteItem of deletes, asks to delete. */
function deleteKeysOf(input: Record<string, unknown>): unknown[] {
  if (input.Key !== undefined) return [input.Key];
  const requests = input.RequestItems;
  if (typeof requests !== 'object' || requests === null) return [];
  return Object.values(requests).flatMap((writes: unknown) =>
    Array.isArray(writes) ? writes.map((write) => write?.DeleteRequest?.Key) : [],
  );
}

describe('TableRetention on the embedded DynamoDB', () => {
  it('deletes items whose TTL has passed at its sweep, and keeps the others', async () => {
    const { client: dynamo, retention } = await start();
    const seconds = Math.floor(now / 1000);
    await dynamo.send(put('expired', seconds - 1));
    await dynamo.send(put('at-the-second', seconds));
    await dynamo.send(put('later', seconds + 60));
    await dynamo.send(put('no-ttl'));
    await until(() => itemsSeen(retention) === 4, 'four items');
    await retention.sweep();
    expect(await keys(dynamo)).toEqual(['later', 'no-ttl']);
    expect(retention.stats()[table]).toEqual({ items: 2, expired: 2, evicted: 0 });
  });

  it('keeps a table under its bound by deleting the least recently written items, and says so', async () => {
    const logger = recordingLogger();
    const { client: dynamo, retention } = await start({ maxItemsPerTable: 20, logger });
    for (let index = 0; index < 20; index += 1)
      await dynamo.send(put(`item-${String(index).padStart(2, '0')}`));
    // Written again: now the most recent.
    await dynamo.send(put('item-00'));
    await dynamo.send(put('item-20'));
    await until(() => itemsSeen(retention) === 19, 'the eviction');
    await retention.settled();
    const left = await keys(dynamo);
    expect(left).toHaveLength(19);
    expect(left).toContain('item-00');
    expect(left).not.toContain('item-01');
    expect(left).not.toContain('item-02');
    expect(retention.stats()[table]).toMatchObject({ items: 19, evicted: 2 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ table, maxItems: 20 }) }),
    );
  });

  it('follows every kind of write: update, delete, batch and transaction', async () => {
    const { client: dynamo, retention } = await start({ maxItemsPerTable: 100 });
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
    await until(() => itemsSeen(retention) === 5, 'five items');
    await dynamo.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'deleted' } } }));
    await until(() => itemsSeen(retention) === 4, 'the delete');
    await retention.sweep();
    expect(await keys(dynamo)).toEqual(['batch', 'updated']);
  });

  it('keeps an item whose TTL an update moved on, and deletes it once that has passed', async () => {
    const { client: dynamo, retention } = await start();
    const seconds = Math.floor(now / 1000);
    await dynamo.send(put('extended', seconds + 10));
    await until(() => itemsSeen(retention) === 1, 'the put');
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'extended' } },
        UpdateExpression: 'SET expires_at = :later',
        ExpressionAttributeValues: { ':later': { N: String(seconds + 3600) } },
      }),
    );
    now += 60_000;
    await retention.sweep();
    expect(await keys(dynamo)).toEqual(['extended']);
    now += 3_600_000;
    await retention.sweep();
    expect(await keys(dynamo)).toEqual([]);
    expect(retention.stats()[table]).toMatchObject({ expired: 1 });
  });

  it('refuses a bound that is not a positive integer', async () => {
    await expect(startEmbeddedDynamoDb({ retention: { maxItemsPerTable: 0 } })).rejects.toThrow(RangeError);
  });
});
