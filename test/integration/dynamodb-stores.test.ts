// The DynamoDB session and connection stores through the real SDK clients against the embedded
// DynamoDB (dynalite), with tables created from the same specs the CDK stack deploys.
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord } from '@mangaassist/chat';
import {
  DynamoDbConnectionStore,
  DynamoDbSessionStore,
  type DynamoDbSessionStoreOptions,
} from '@mangaassist/chat/dynamodb';
import { describeSessionStore, sessionTurn } from '@mangaassist/chat/testing';
import type { Logger } from '@mangaassist/commons';
import { recordingLogger } from '@mangaassist/commons/testing';
import { connectionsTable, sessionsTable, tableSpecs } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { testTableName, useEmbeddedDynamoDb } from './embedded-dynamodb.js';

const sessions = testTableName(sessionsTable);
const connections = testTableName(connectionsTable);
const epoch = Date.UTC(2026, 0, 1);

const documents = useEmbeddedDynamoDb(tableSpecs);

function sessionStore(options: Partial<DynamoDbSessionStoreOptions> = {}) {
  return new DynamoDbSessionStore(documents(), { tableName: sessions, ...options });
}

/** Fresh ids, so tests sharing the table never see each other's items. */
function freshSession() {
  const unique = randomUUID();
  const tenantId = `tenant-${unique.slice(0, 8)}`;
  const sessionId = `session-${unique}`;
  return { tenantId, sessionId, pk: `${tenantId}#${sessionId}` };
}

async function storedItems(pk: string) {
  const { Items: items } = await documents().send(
    new QueryCommand({
      TableName: sessions,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return items ?? [];
}

describeSessionStore('DynamoDbSessionStore on the embedded DynamoDB', (options) => sessionStore(options));

describe('DynamoDbSessionStore items', () => {
  it('stores each turn as one item of the sessions table, without attributes for absent fields, after the counter', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    const store = sessionStore({ now: () => epoch + 999, ttlSeconds: 600 });
    await store.append(tenantId, sessionId, [
      sessionTurn('こんにちは'),
      sessionTurn('いらっしゃいませ', { role: 'assistant', model: 'claude-haiku-4-5' }),
    ]);
    expect(await storedItems(pk)).toStrictEqual([
      { pk, turn: 0, last_turn: 2, expires_at: epoch / 1_000 + 600 },
      {
        pk,
        turn: 1,
        role: 'user',
        content: 'こんにちは',
        at: sessionTurn('').at,
        expires_at: epoch / 1_000 + 600,
      },
      {
        pk,
        turn: 2,
        role: 'assistant',
        content: 'いらっしゃいませ',
        at: sessionTurn('').at,
        model: 'claude-haiku-4-5',
        expires_at: epoch / 1_000 + 600,
      },
    ]);
  });

  it('sets expires_at from the injected clock plus one day by default', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    await sessionStore({ now: () => epoch }).append(tenantId, sessionId, [sessionTurn('hello')]);
    const { Item: item } = await documents().send(
      new GetCommand({ TableName: sessions, Key: { pk, turn: 1 } }),
    );
    expect(item?.expires_at).toBe(epoch / 1_000 + 86_400);
  });

  it('numbers the turns of 30 concurrent appends 1 to 30 with one write each, losing none', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    const store = sessionStore({ maxAppendAttempts: 1 });
    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        store.append(tenantId, sessionId, [sessionTurn(`turn ${index}`)]),
      ),
    );
    const [counter, ...turns] = await storedItems(pk);
    expect(counter).toMatchObject({ turn: 0, last_turn: 30 });
    expect(turns.map((item) => item.turn)).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    expect(new Set(turns.map((item) => item.content)).size).toBe(30);
  });

  it('appends after turns stored without a counter, moving the counter past them', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    for (const turn of [1, 2, 3]) {
      await documents().send(
        new PutCommand({
          TableName: sessions,
          Item: {
            pk,
            turn,
            role: turn % 2 ? 'user' : 'assistant',
            content: `old ${turn}`,
            at: sessionTurn('').at,
          },
        }),
      );
    }
    const store = sessionStore();
    await store.append(tenantId, sessionId, [sessionTurn('new question')]);
    await store.append(tenantId, sessionId, [sessionTurn('newer question')]);

    expect((await store.history(tenantId, sessionId, 10)).map((turn) => turn.content)).toEqual([
      'old 1',
      'old 2',
      'old 3',
      'new question',
      'newer question',
    ]);
    expect((await storedItems(pk))[0]).toMatchObject({ turn: 0, last_turn: 5 });
  });

  it('appends more turns than one transaction holds, in order', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    const store = sessionStore();
    const turns = Array.from({ length: 150 }, (_, index) => sessionTurn(`turn ${index + 1}`));
    await store.append(tenantId, sessionId, [sessionTurn('before')]);
    await store.append(tenantId, sessionId, turns);
    const history = await store.history(tenantId, sessionId, 150);
    expect(history.map((turn) => turn.content)).toEqual(turns.map((turn) => turn.content));
    expect((await storedItems(pk)).map((item) => item.turn).at(-1)).toBe(151);
  });

  it('deletes every turn of a cleared session, and numbers the turns after it past the old ones', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    const store = sessionStore();
    await store.append(
      tenantId,
      sessionId,
      Array.from({ length: 60 }, (_, index) => sessionTurn(`t${index}`)),
    );
    await store.clear(tenantId, sessionId);
    expect(await storedItems(pk)).toEqual([expect.objectContaining({ turn: 0, last_turn: 60 })]);

    // A turn that an append running during the clear wrote late stays older than the new ones.
    await documents().send(
      new PutCommand({
        TableName: sessions,
        Item: { pk, turn: 60, role: 'user', content: 'straggler', at: sessionTurn('').at },
      }),
    );
    await store.append(tenantId, sessionId, [sessionTurn('after the clear')]);
    expect((await store.history(tenantId, sessionId, 10)).map((turn) => turn.content)).toEqual([
      'straggler',
      'after the clear',
    ]);
  });

  it('skips an item that is not a valid turn and logs a warning instead of failing', async () => {
    const { tenantId, sessionId, pk } = freshSession();
    const logger = recordingLogger();
    const store = sessionStore({ logger });
    await store.append(tenantId, sessionId, [sessionTurn('first')]);
    await documents().send(
      new PutCommand({ TableName: sessions, Item: { pk, turn: 2, role: 'system', content: 7 } }),
    );
    await store.append(tenantId, sessionId, [sessionTurn('third')]);
    const history = await store.history(tenantId, sessionId, 10);
    expect(history.map((turn) => turn.content)).toEqual(['first', 'third']);
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'Skipping a session item that is not a valid turn',
        fields: expect.objectContaining({ table: sessions, pk, turn: 2 }),
      },
    ]);
  });
});

describe('DynamoDbConnectionStore on the embedded DynamoDB', () => {
  const connection = (overrides: Partial<ConnectionRecord> = {}): ConnectionRecord => ({
    connectionId: `conn-${randomUUID()}`,
    tenantId: 'tenant-a',
    connectedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });

  function connectionStore(now = () => epoch, logger?: Logger) {
    return new DynamoDbConnectionStore(documents(), {
      tableName: connections,
      now,
      ...(logger ? { logger } : {}),
    });
  }

  it('returns a connection that was put, and undefined for one that never was', async () => {
    const store = connectionStore();
    const record = connection();
    await store.put(record);
    expect(await store.get(record.connectionId)).toStrictEqual(record);
    expect(await store.get('conn-unknown')).toBeUndefined();
  });

  it('writes the connections table layout, expiring two hours after the put by default', async () => {
    const record = connection();
    await connectionStore(() => epoch + 500).put(record);
    const { Item: item } = await documents().send(
      new GetCommand({ TableName: connections, Key: { connection_id: record.connectionId } }),
    );
    expect(item).toStrictEqual({
      connection_id: record.connectionId,
      tenant_id: 'tenant-a',
      connected_at: record.connectedAt,
      expires_at: epoch / 1_000 + 7_200,
    });
  });

  it('forgets a deleted connection, and deletes an unknown one without error', async () => {
    const store = connectionStore();
    const record = connection();
    await store.put(record);
    await store.delete(record.connectionId);
    expect(await store.get(record.connectionId)).toBeUndefined();
    await expect(store.delete('conn-unknown')).resolves.toBeUndefined();
  });

  it('hides a connection whose time to live has passed, before DynamoDB deletes it', async () => {
    let now = epoch;
    const store = connectionStore(() => now);
    const record = connection();
    await store.put(record);
    now += 7_200_000;
    expect(await store.get(record.connectionId)).toBeUndefined();
  });

  it('answers undefined for a corrupt record and logs a warning', async () => {
    const logger = recordingLogger();
    const connectionId = `conn-${randomUUID()}`;
    await documents().send(new PutCommand({ TableName: connections, Item: { connection_id: connectionId } }));
    expect(await connectionStore(() => epoch, logger).get(connectionId)).toBeUndefined();
    expect(logger.entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'Ignoring a connection item that is not a valid record',
        fields: expect.objectContaining({ table: connections, connectionId }),
      }),
    ]);
  });
});
