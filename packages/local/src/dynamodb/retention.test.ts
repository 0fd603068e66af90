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
import { isObject } from './wire.js';

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

describe('TableRetention when deletes fail or race', () => {
  it('tracks again the items of a batch that failed, so the table comes back under its bound, and names the table', async () => {
    const dynamo = fakeTable();
    const logger = recordingLogger();
    const retention = new TableRetention(dynamo.call, () => undefined, { maxItemsPerTable: 100, logger });
    for (let index = 0; index < 100; index += 1) await dynamo.put(retention, `a-${index}`);
    dynamo.failures = 1;
    await dynamo.put(retention, 'over');
    await retention.settled();
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ table, operation: 'BatchWriteItem' }),
      }),
    );
    for (let index = 0; index < 1000; index += 1) await dynamo.put(retention, `b-${index}`);
    await retention.settled();
    expect(dynamo.stored.size).toBeLessThanOrEqual(100);
    expect(retention.stats()[table]).toEqual({
      items: dynamo.stored.size,
      expired: 0,
      evicted: dynamo.deleted,
    });
    retention.close();
  });

  it('tracks again what DynamoDB still left unprocessed after its attempts, and deletes it later', async () => {
    const dynamo = fakeTable();
    const retention = new TableRetention(dynamo.call, () => undefined, { maxItemsPerTable: 20 });
    dynamo.unprocessedAlways = true;
    for (let index = 0; index <= 20; index += 1) await dynamo.put(retention, `a-${index}`);
    await retention.settled();
    expect(retention.stats()[table]).toEqual({ items: 21, expired: 0, evicted: 0 });
    dynamo.unprocessedAlways = false;
    for (let index = 0; index < 40; index += 1) await dynamo.put(retention, `b-${index}`);
    await retention.settled();
    expect(dynamo.stored.size).toBeLessThanOrEqual(20);
    expect(retention.stats()[table]).toEqual({
      items: dynamo.stored.size,
      expired: 0,
      evicted: dynamo.deleted,
    });
    retention.close();
  });

  it('knows one item under two spellings of a number key (1 and 1.0) as one', async () => {
    const retention = new TableRetention(fakeTable(['pk', 'turn']).call, () => undefined);
    for (const turn of ['1', '1.0', '01', '1e0']) {
      await retention.observe('PutItem', { TableName: table, Item: { pk: { S: 's' }, turn: { N: turn } } });
    }
    await retention.observe('PutItem', { TableName: table, Item: { pk: { S: 's' }, turn: { N: '2' } } });
    expect(retention.stats()[table]?.items).toBe(2);
    retention.close();
  });

  it('never lets an eviction delete an item written again after it was picked, even once a sweep forgot it', async () => {
    const dynamo = fakeTable();
    const retention = new TableRetention(dynamo.call, () => 'expires_at', {
      maxItemsPerTable: 20,
      now: () => now,
    });
    dynamo.holdBatches = true;
    // Over the bound: i-00 and i-01 are picked, their batch sent and held; then i-02 and i-03,
    // whose batch waits behind it.
    for (let index = 0; index <= 22; index += 1)
      await dynamo.put(retention, `i-${String(index).padStart(2, '0')}`);
    // i-02 is written again with a TTL, which an update then moves a day on (the tracked hint stays).
    const seconds = Math.floor(now / 1000);
    await dynamo.put(retention, 'i-02', seconds + 10);
    dynamo.setExpiry('i-02', seconds + 86_400);
    await retention.observe('UpdateItem', { TableName: table, Key: { pk: { S: 'i-02' } } });
    // The sweep finds the hint passed and forgets i-02 (its conditional delete will fail).
    now += 60_000;
    const sweep = retention.sweep();
    dynamo.release();
    await sweep;
    await retention.settled();
    expect(dynamo.stored.has('i-02')).toBe(true);
    expect(dynamo.stored.has('i-03')).toBe(false);
    expect(retention.stats()[table]).toEqual({
      items: dynamo.stored.size,
      expired: 0,
      evicted: dynamo.deleted,
    });
    retention.close();
  });

  it('keeps the TTL of a picked item that an update wrote again, and sweeps it at that TTL', async () => {
    const dynamo = fakeTable();
    const retention = new TableRetention(dynamo.call, () => 'expires_at', {
      maxItemsPerTable: 20,
      now: () => now,
    });
    const seconds = Math.floor(now / 1000);
    dynamo.holdBatches = true;
    await dynamo.put(retention, 'i-00');
    await dynamo.put(retention, 'i-01');
    await dynamo.put(retention, 'i-02', seconds + 10);
    // i-00 and i-01 go in a held batch, then i-02 and i-03 wait behind it; an update keeps i-02.
    for (let index = 3; index <= 22; index += 1)
      await dynamo.put(retention, `i-${String(index).padStart(2, '0')}`);
    await retention.observe('UpdateItem', { TableName: table, Key: { pk: { S: 'i-02' } } });
    dynamo.release();
    await retention.settled();
    expect(dynamo.stored.has('i-02')).toBe(true);
    now += 60_000;
    await retention.sweep();
    expect(dynamo.stored.has('i-02')).toBe(false);
    expect(retention.stats()[table]).toMatchObject({ expired: 1 });
    retention.close();
  });

  it('counts an item picked twice as evicted once', async () => {
    const dynamo = fakeTable();
    const retention = new TableRetention(dynamo.call, () => undefined, { maxItemsPerTable: 20 });
    dynamo.holdBatches = true;
    for (let index = 0; index <= 20; index += 1)
      await dynamo.put(retention, `i-${String(index).padStart(2, '0')}`);
    // i-00 (picked, held) is written again, then picked again as the oldest once more.
    await dynamo.put(retention, 'i-00');
    for (let index = 21; index < 60; index += 1) await dynamo.put(retention, `i-${index}`);
    dynamo.release();
    await retention.settled();
    expect(retention.stats()[table]).toEqual({
      items: dynamo.stored.size,
      expired: 0,
      evicted: dynamo.deleted,
    });
    retention.close();
  });
});

/**
 * DynamoDB as far as `TableRetention` calls it, over one table whose items are kept by their
 * `pk` (`stored`: pk → TTL): deletes can fail (`failures` calls), stay unprocessed, or be held.
 */
function fakeTable(keyNames: readonly string[] = ['pk']) {
  const stored = new Map<string, number | undefined>();
  let release = () => {};
  let held = Promise.resolve();
  const fake = {
    stored,
    deleted: 0,
    failures: 0,
    unprocessedAlways: false,
    set holdBatches(hold: boolean) {
      held = hold ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
    },
    release: () => release(),
    setExpiry: (pk: string, expiresAt: number) => stored.set(pk, expiresAt),
    async put(retention: TableRetention, pk: string, expiresAt?: number) {
      stored.set(pk, expiresAt);
      const ttl = expiresAt === undefined ? {} : { expires_at: { N: String(expiresAt) } };
      await retention.observe('PutItem', { TableName: table, Item: { pk: { S: pk }, ...ttl } });
    },
    async call(operation: string, input: Record<string, unknown>) {
      if (operation === 'DescribeTable') {
        return {
          status: 200,
          body: { Table: { KeySchema: keyNames.map((AttributeName) => ({ AttributeName })) } },
        };
      }
      const pks = deleteKeysOf(input).map((key) =>
        isObject(key) && isObject(key.pk) ? String(key.pk.S) : '',
      );
      if (operation === 'GetItem') {
        const expiresAt = stored.get(pks[0] ?? '');
        return { status: 200, body: { Item: { expires_at: { N: String(expiresAt) } } } };
      }
      if (operation === 'DeleteItem') {
        const expiresAt = stored.get(pks[0] ?? '');
        const values = input.ExpressionAttributeValues;
        const limit = isObject(values) && isObject(values[':now']) ? Number(values[':now'].N) : Number.NaN;
        if (expiresAt === undefined || expiresAt > limit) {
          return {
            status: 400,
            body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' },
          };
        }
        stored.delete(pks[0] ?? '');
        return { status: 200, body: {} };
      }
      await held;
      if (fake.failures > 0) {
        fake.failures -= 1;
        return { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' } };
      }
      if (fake.unprocessedAlways) {
        return {
          status: 200,
          body: {
            UnprocessedItems: { [table]: pks.map((pk) => ({ DeleteRequest: { Key: { pk: { S: pk } } } })) },
          },
        };
      }
      for (const pk of pks) if (stored.delete(pk)) fake.deleted += 1;
      return { status: 200, body: { UnprocessedItems: {} } };
    },
  };
  return fake;
}

/** The keys a DeleteItem, or a BatchWriteItem of deletes, asks to delete. */
function deleteKeysOf(input: Record<string, unknown>): unknown[] {
  if (input.Key !== undefined) return [input.Key];
  const requests = input.RequestItems;
  if (typeof requests !== 'object' || requests === null) return [];
  return Object.values(requests).flatMap((writes: unknown) =>
    Array.isArray(writes)
      ? writes.map((write: unknown) =>
          isObject(write) && isObject(write.DeleteRequest) ? write.DeleteRequest.Key : undefined,
        )
      : [],
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
