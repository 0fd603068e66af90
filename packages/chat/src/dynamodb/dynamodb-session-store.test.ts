// Failure paths of the DynamoDB session store that a healthy DynamoDB never takes on request
// (lost races every time, unprocessed batches); the behaviour suite runs against the embedded
// DynamoDB in test/integration/dynamodb-stores.test.ts.
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '@mangaassist/commons';
import { awsError } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SessionConflictError } from '../sessions/session-errors.js';
import { sessionTurn } from '../testing/session-store-behaviour.js';
import { DynamoDbSessionStore, type DynamoDbSessionStoreOptions } from './dynamodb-session-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-sessions';

beforeEach(() => {
  dynamo.reset();
});

/** A clock that never waits and remembers every requested delay. */
function recordingClock(): Clock & { readonly sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => 0, sleep: async (ms) => void sleeps.push(ms) };
}

function makeStore(options: Partial<DynamoDbSessionStoreOptions> = {}) {
  const clock = recordingClock();
  const store = new DynamoDbSessionStore(documents, { tableName, clock, random: () => 0.5, ...options });
  return { store, clock };
}

function lostRace() {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
  });
}

/** The turn numbers each TransactWrite call tried to write, call by call. */
function writtenTurnNumbers(): number[][] {
  return dynamo
    .commandCalls(TransactWriteCommand)
    .map(
      (call) =>
        (call.args[0].input as TransactWriteCommandInput).TransactItems?.map((item) =>
          Number(item.Put?.Item?.turn),
        ) ?? [],
    );
}

/** A counter that hands out numbers as DynamoDB's atomic ADD does, starting after `last`. */
function counterFrom(last: number) {
  let value = last;
  dynamo.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
    if (input.UpdateExpression?.startsWith('ADD')) {
      value += Number(input.ExpressionAttributeValues?.[':count']);
      return { Attributes: { last_turn: value } };
    }
    value = Math.max(value, Number(input.ExpressionAttributeValues?.[':last']));
    return {};
  });
}

describe('DynamoDbSessionStore.append', () => {
  it('takes consecutive turn numbers from the counter in one atomic ADD, then writes the turns', async () => {
    counterFrom(3);
    dynamo.on(TransactWriteCommand).resolves({});
    const { store } = makeStore({ now: () => 1_000_000, ttlSeconds: 600 });
    await store.append('tenant-a', 'session-0001', [sessionTurn('q'), sessionTurn('a')]);

    expect(writtenTurnNumbers()).toEqual([[4, 5]]);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: tableName,
      Key: { pk: 'tenant-a#session-0001', turn: 0 },
      UpdateExpression: 'ADD last_turn :count SET expires_at = :expiresAt',
      ExpressionAttributeValues: { ':count': 2, ':expiresAt': 1_600 },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(dynamo).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('moves the counter past turns it did not know of, then retries with fresh numbers', async () => {
    counterFrom(0);
    dynamo.on(QueryCommand).resolves({ Items: [{ turn: 7 }] });
    dynamo.on(TransactWriteCommand).rejectsOnce(lostRace()).resolves({});
    const { store, clock } = makeStore();
    await store.append('tenant-a', 'session-0001', [sessionTurn('q'), sessionTurn('a')]);

    expect(writtenTurnNumbers()).toEqual([
      [1, 2],
      [8, 9],
    ]);
    expect(dynamo.commandCalls(UpdateCommand)[1]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET last_turn = :last, expires_at = :expiresAt',
      ConditionExpression: 'attribute_not_exists(last_turn) OR last_turn < :last',
      ExpressionAttributeValues: { ':last': 7 },
    });
    expect(clock.sleeps).toHaveLength(1);
  });

  it('retries when another append moved the counter first (its condition fails)', async () => {
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { last_turn: 1 } })
      .rejectsOnce(awsError('ConditionalCheckFailedException', 'The conditional request failed'))
      .resolves({ Attributes: { last_turn: 9 } });
    dynamo.on(QueryCommand).resolves({ Items: [{ turn: 7 }] });
    dynamo.on(TransactWriteCommand).rejectsOnce(lostRace()).resolves({});
    const { store } = makeStore();
    await store.append('tenant-a', 'session-0001', [sessionTurn('q')]);

    expect(writtenTurnNumbers()).toEqual([[1], [9]]);
  });

  it('gives up with SessionConflictError after maxAppendAttempts taken numbers', async () => {
    counterFrom(0);
    dynamo.on(QueryCommand).resolves({ Items: [{ turn: 1 }] });
    dynamo.on(TransactWriteCommand).rejects(lostRace());
    const { store } = makeStore({ maxAppendAttempts: 4 });
    const appended = store.append('tenant-a', 'session-0001', [sessionTurn('q'), sessionTurn('a')]);
    await expect(appended).rejects.toBeInstanceOf(SessionConflictError);
    await expect(appended).rejects.toMatchObject({
      tenantId: 'tenant-a',
      sessionId: 'session-0001',
      attempts: 4,
    });
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 4);
  });

  it('does not retry a failure that fresh turn numbers cannot fix', async () => {
    counterFrom(0);
    dynamo.on(TransactWriteCommand).rejects(awsError('ValidationException', 'Item too large'));
    const { store } = makeStore();
    await expect(store.append('tenant-a', 'session-0001', [sessionTurn('q')])).rejects.toThrow(
      'Item too large',
    );
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('does not retry a transaction cancelled for throttling', async () => {
    counterFrom(0);
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ThrottlingError' }],
      }),
    );
    const { store } = makeStore();
    await expect(store.append('tenant-a', 'session-0001', [sessionTurn('q')])).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('fails, writing nothing, when the counter cannot be read back as a number', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { last_turn: 'seven' } });
    const { store } = makeStore();
    await expect(store.append('tenant-a', 'session-0001', [sessionTurn('q')])).rejects.toThrow();
    expect(dynamo).toReceiveCommandTimes(TransactWriteCommand, 0);
  });

  it('writes 250 turns as transactions of at most 100, in order, each conditioned and with its own token', async () => {
    counterFrom(0);
    dynamo.on(TransactWriteCommand).resolves({});
    const { store } = makeStore();
    const turns = Array.from({ length: 250 }, (_, index) => sessionTurn(`turn ${index + 1}`));
    await store.append('tenant-a', 'session-0001', turns);
    const numbers = writtenTurnNumbers();
    expect(numbers.map((chunk) => chunk.length)).toEqual([100, 100, 50]);
    expect(numbers.flat()).toEqual(Array.from({ length: 250 }, (_, index) => index + 1));
    const inputs = dynamo
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input as TransactWriteCommandInput);
    expect(new Set(inputs.map((input) => input.ClientRequestToken)).size).toBe(3);
    for (const input of inputs) {
      for (const item of input.TransactItems ?? []) {
        expect(item.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
        expect(item.Put?.TableName).toBe(tableName);
      }
    }
  });

  it('splits turns whose contents would exceed the transaction size limit', async () => {
    counterFrom(0);
    dynamo.on(TransactWriteCommand).resolves({});
    const { store } = makeStore();
    // 300 KB each: under DynamoDB's 400 KB item limit, but 15 of them exceed a transaction's 4 MB.
    const large = Array.from({ length: 15 }, () => sessionTurn('あ'.repeat(100_000)));
    await store.append('tenant-a', 'session-0001', large);
    expect(writtenTurnNumbers().map((chunk) => chunk.length)).toEqual([11, 4]);
  });
});

describe('DynamoDbSessionStore.clear', () => {
  const keys = (count: number) =>
    Array.from({ length: count }, (_, index) => ({ pk: 'tenant-a#session-0001', turn: index + 1 }));

  it('deletes the keys of every page in batches of 25', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: keys(30), LastEvaluatedKey: { pk: 'tenant-a#session-0001', turn: 30 } })
      .resolvesOnce({ Items: keys(40).slice(30) });
    dynamo.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    const { store } = makeStore();
    await store.clear('tenant-a', 'session-0001');
    const batches = dynamo
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.[tableName]);
    expect(batches.map((batch) => batch?.length)).toEqual([25, 5, 10]);
    expect(dynamo.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'tenant-a#session-0001',
      turn: 30,
    });
  });

  it('resends unprocessed deletes after a backoff until none is left', async () => {
    const unprocessed = { DeleteRequest: { Key: { pk: 'tenant-a#session-0001', turn: 2 } } };
    dynamo.on(QueryCommand).resolves({ Items: keys(3) });
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [tableName]: [unprocessed] } })
      .resolves({ UnprocessedItems: {} });
    const { store, clock } = makeStore();
    await store.clear('tenant-a', 'session-0001');
    expect(dynamo.commandCalls(BatchWriteCommand)[1]?.args[0].input.RequestItems).toEqual({
      [tableName]: [unprocessed],
    });
    expect(clock.sleeps).toHaveLength(1);
  });

  it('throws once deletes stay unprocessed for maxDeleteAttempts', async () => {
    const unprocessed = { DeleteRequest: { Key: { pk: 'tenant-a#session-0001', turn: 1 } } };
    dynamo.on(QueryCommand).resolves({ Items: keys(1) });
    dynamo.on(BatchWriteCommand).resolves({ UnprocessedItems: { [tableName]: [unprocessed] } });
    const { store } = makeStore({ maxDeleteAttempts: 3 });
    await expect(store.clear('tenant-a', 'session-0001')).rejects.toThrow(
      /1 deletes still unprocessed after 3/,
    );
    expect(dynamo).toReceiveCommandTimes(BatchWriteCommand, 3);
  });
});

describe('DynamoDbSessionStore.history', () => {
  it('asks for the newest turns past the counter with a consistent read and keeps paging past a 1 MB page', async () => {
    const item = (turn: number) => ({ ...sessionTurn(`turn ${turn}`), pk: 'tenant-a#session-0001', turn });
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(9), item(8)], LastEvaluatedKey: { pk: 'tenant-a#session-0001', turn: 8 } })
      .resolvesOnce({ Items: [item(7)] });
    const { store } = makeStore();
    const history = await store.history('tenant-a', 'session-0001', 3);
    expect(history.map((turn) => turn.content)).toEqual(['turn 7', 'turn 8', 'turn 9']);
    expect(dynamo).toReceiveCommandWith(QueryCommand, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND #turn > :counter',
      ExpressionAttributeValues: { ':pk': 'tenant-a#session-0001', ':counter': 0 },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: 3,
    });
    expect(dynamo.commandCalls(QueryCommand)[1]?.args[0].input.Limit).toBe(1);
  });

  it('rejects options that would make it misbehave', () => {
    expect(() => makeStore({ maxAppendAttempts: 0 })).toThrow(RangeError);
    expect(() => makeStore({ maxDeleteAttempts: 1.5 })).toThrow(RangeError);
    expect(() => makeStore({ ttlSeconds: 0 })).toThrow(RangeError);
  });
});
