import {
  type AttributeValue,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import { createStringKeyTable, embeddedClient } from './test-support.js';
import { maxTransactItems } from './transact-write-items.js';

const table = 'embedded-test';
let dynamo: EmbeddedDynamoDb;
let client: DynamoDBClient;
let keyCount = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  client = embeddedClient(dynamo.endpoint);
  await createStringKeyTable(client, table, 'id');
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

/** A key no other test uses. */
const freshId = () => `item-${++keyCount}`;
const key = (id: string): Record<string, AttributeValue> => ({ id: { S: id } });

const put = (id: string, value: number, condition?: string): TransactWriteItem => ({
  Put: {
    TableName: table,
    Item: { id: { S: id }, value: { N: String(value) } },
    ...(condition ? { ConditionExpression: condition } : {}),
  },
});

const putIfAbsent = (id: string, value: number) => put(id, value, 'attribute_not_exists(id)');

async function storedValue(id: string): Promise<number | undefined> {
  const { Item: item } = await client.send(
    new GetItemCommand({ TableName: table, Key: key(id), ConsistentRead: true }),
  );
  return item?.value?.N === undefined ? undefined : Number(item.value.N);
}

async function cancellationCodes(items: TransactWriteItem[]): Promise<string[]> {
  const error = await client.send(new TransactWriteItemsCommand({ TransactItems: items })).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TransactionCanceledException);
  return (
    (error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code ?? '') ?? []
  );
}

describe('startEmbeddedDynamoDb', () => {
  it('serves the operations dynalite implements to the real SDK client', async () => {
    const id = freshId();
    await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, value: { N: '7' } } }));
    expect(await storedValue(id)).toBe(7);
  });

  it('rejects when the port is already taken', async () => {
    const port = Number(new URL(dynamo.endpoint).port);
    await expect(startEmbeddedDynamoDb({ port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('closes while a client still holds keep-alive connections', async () => {
    const other = await startEmbeddedDynamoDb();
    const otherClient = embeddedClient(other.endpoint);
    await otherClient.send(new DescribeTimeToLiveCommand({ TableName: 'none' })).catch(() => undefined);
    await expect(other.close()).resolves.toBeUndefined();
    otherClient.destroy();
  });
});

describe('closing the embedded DynamoDB', () => {
  it('answers the writes already sent before it closes its database, and none fails the process', async () => {
    const other = await startEmbeddedDynamoDb();
    const otherClient = embeddedClient(other.endpoint);
    await createStringKeyTable(otherClient, 'closing', 'id');
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const writes = Array.from({ length: 50 }, (_, n) =>
        otherClient.send(
          new UpdateItemCommand({
            TableName: 'closing',
            Key: { id: { S: `item-${n}` } },
            UpdateExpression: 'SET #v = :v',
            ExpressionAttributeNames: { '#v': 'value' },
            ExpressionAttributeValues: { ':v': { N: String(n) } },
          }),
        ),
      );
      const settled = Promise.allSettled(writes);
      // Close once the first write is answered: the others are in flight inside dynalite.
      await writes[0];
      await other.close();
      const outcomes = await settled;
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncaught).toEqual([]);
      // Every write sent before close is answered; one that arrives while closing is refused, not lost silently.
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          expect(String(outcome.reason)).toMatch(/shutting down|ECONNREFUSED|socket hang up|ECONNRESET/);
      }
    } finally {
      process.off('uncaughtException', record);
      otherClient.destroy();
    }
  });
});

describe('TransactWriteItems on the embedded DynamoDB', () => {
  it('applies every action of a transaction', async () => {
    const [added, updated, removed] = [freshId(), freshId(), freshId()];
    await client.send(new TransactWriteItemsCommand({ TransactItems: [put(updated, 1), put(removed, 1)] }));
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          putIfAbsent(added, 1),
          {
            Update: {
              TableName: table,
              Key: key(updated),
              UpdateExpression: 'SET #value = #value + :one',
              ExpressionAttributeNames: { '#value': 'value' },
              ExpressionAttributeValues: { ':one': { N: '1' } },
            },
          },
          { Delete: { TableName: table, Key: key(removed) } },
        ],
      }),
    );
    expect([await storedValue(added), await storedValue(updated), await storedValue(removed)]).toEqual([
      1,
      2,
      undefined,
    ]);
  });

  it('applies none of the actions when one condition fails, naming the failed one', async () => {
    const [existing, created, taken] = [freshId(), freshId(), freshId()];
    await client.send(new TransactWriteItemsCommand({ TransactItems: [put(existing, 1), put(taken, 1)] }));
    const codes = await cancellationCodes([
      putIfAbsent(created, 5),
      { Delete: { TableName: table, Key: key(existing) } },
      putIfAbsent(taken, 5),
    ]);
    expect(codes).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect([await storedValue(created), await storedValue(existing), await storedValue(taken)]).toEqual([
      undefined,
      1,
      1,
    ]);
  });

  it('cancels on a failed condition check and leaves no item behind for a passing one', async () => {
    const [checked, missing, written] = [freshId(), freshId(), freshId()];
    const check = (id: string, expression: string): TransactWriteItem => ({
      ConditionCheck: { TableName: table, Key: key(id), ConditionExpression: expression },
    });
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [check(missing, 'attribute_not_exists(id)'), put(written, 1)],
      }),
    );
    expect(await storedValue(written)).toBe(1);
    const { Item: leftOver } = await client.send(new GetItemCommand({ TableName: table, Key: key(missing) }));
    expect(leftOver).toBeUndefined();

    const codes = await cancellationCodes([put(written, 2), check(checked, 'attribute_exists(id)')]);
    expect(codes).toEqual(['None', 'ConditionalCheckFailed']);
    expect(await storedValue(written)).toBe(1);
  });

  it('lets exactly one of many concurrent transactions claim the same item', async () => {
    const contested = freshId();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        client.send(new TransactWriteItemsCommand({ TransactItems: [putIfAbsent(contested, index)] })),
      ),
    );
    const won = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
    expect(won).toHaveLength(1);
    expect(await storedValue(contested)).toBe(won[0]);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(TransactionCanceledException);
    }
  });

  it(`rejects more than ${maxTransactItems} actions, as DynamoDB does`, async () => {
    const items = Array.from({ length: maxTransactItems + 1 }, () => put(freshId(), 1));
    await expect(client.send(new TransactWriteItemsCommand({ TransactItems: items }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('rejects two actions on one item', async () => {
    const id = freshId();
    await expect(
      client.send(new TransactWriteItemsCommand({ TransactItems: [put(id, 1), put(id, 2)] })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/one item/) });
    expect(await storedValue(id)).toBeUndefined();
  });

  it('answers ResourceNotFoundException for a table that does not exist', async () => {
    const item: TransactWriteItem = { Put: { TableName: 'no-such-table', Item: { id: { S: 'x' } } } };
    await expect(client.send(new TransactWriteItemsCommand({ TransactItems: [item] }))).rejects.toMatchObject(
      {
        name: 'ResourceNotFoundException',
      },
    );
  });
});

describe('TTL settings on the embedded DynamoDB', () => {
  it('records the TTL attribute that UpdateTimeToLive enables', async () => {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      }),
    );
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expires_at' });
    await expect(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: table,
          TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'TimeToLive is already enabled' });
  });

  it('answers ResourceNotFoundException when enabling TTL on a missing table', async () => {
    await expect(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: 'no-such-table',
          TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
