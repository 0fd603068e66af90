import type { AddressInfo } from 'node:net';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Logger } from '@mangaassist/commons';
import { connectionsTable, sessionsTable, type TableSpec, tableSpecs } from '@mangaassist/contracts';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import { ensureTables } from './ensure-tables.js';
import { embeddedClient } from './test-support.js';

let dynamo: EmbeddedDynamoDb;
let client: DynamoDBClient;
let stageCount = 0;

/** A stage name no other test uses, so each test starts with no tables. */
const freshStage = () => `ensure${++stageCount}`;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  client = embeddedClient(dynamo.endpoint);
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

const describeTable = async (name: string) =>
  (await client.send(new DescribeTableCommand({ TableName: name }))).Table;

describe('ensureTables', () => {
  it('creates the sessions table with the partition and sort key of its spec, on demand', async () => {
    const [name] = await ensureTables(client, freshStage(), [sessionsTable]);
    expect(name).toMatch(/^mangaassist-ensure\d+-sessions$/);
    const table = await describeTable(name ?? '');
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'turn', KeyType: 'RANGE' },
    ]);
    expect(table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'turn', AttributeType: 'N' },
      ]),
    );
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('creates a table with only a partition key when its spec has no sort key', async () => {
    const [name] = await ensureTables(client, freshStage(), [connectionsTable]);
    const table = await describeTable(name ?? '');
    expect(table?.KeySchema).toEqual([{ AttributeName: 'connection_id', KeyType: 'HASH' }]);
  });

  it('enables TTL on the attribute the spec names', async () => {
    const [name] = await ensureTables(client, freshStage(), [sessionsTable]);
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expires_at' });
  });

  it('returns the table names in the order of the specs', async () => {
    const stage = freshStage();
    expect(await ensureTables(client, stage, tableSpecs)).toEqual([
      `mangaassist-${stage}-sessions`,
      `mangaassist-${stage}-connections`,
      `mangaassist-${stage}-ws-tickets`,
      `mangaassist-${stage}-webhook-idempotency`,
      `mangaassist-${stage}-products`,
      `mangaassist-${stage}-reviews`,
      `mangaassist-${stage}-inference-analytics`,
      `mangaassist-${stage}-consumed-events`,
      `mangaassist-${stage}-jobs`,
      `mangaassist-${stage}-recommendations`,
    ]);
  });

  it('leaves existing tables as they are when called again', async () => {
    const stage = freshStage();
    const first = await ensureTables(client, stage, tableSpecs);
    const created = await describeTable(first[0] ?? '');
    const second = await ensureTables(client, stage, tableSpecs);
    expect(second).toEqual(first);
    expect((await describeTable(first[0] ?? ''))?.CreationDateTime).toEqual(created?.CreationDateTime);
  });

  it('rejects an existing table whose keys differ from its spec', async () => {
    const stage = freshStage();
    await ensureTables(client, stage, [sessionsTable]);
    const otherKeys: TableSpec = { name: 'sessions', partitionKey: { name: 'id', type: 'S' } };
    await expect(ensureTables(client, stage, [otherKeys])).rejects.toThrow(
      /exists with keys \[pk:HASH, turn:RANGE\]/,
    );
  });

  it('warns and still creates the tables on an endpoint without UpdateTimeToLive (plain dynalite)', async () => {
    const plain = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainClient = embeddedClient(`http://127.0.0.1:${(plain.address() as AddressInfo).port}`);
    const warn = vi.fn<Logger['warn']>();
    const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
    try {
      const [name] = await ensureTables(plainClient, 'plain', [sessionsTable], { logger });
      expect(name).toBe('mangaassist-plain-sessions');
      expect(warn).toHaveBeenCalledWith(
        'This DynamoDB endpoint cannot enable TTL; items will not expire',
        expect.objectContaining({ table: name, attribute: 'expires_at' }),
      );
    } finally {
      plainClient.destroy();
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
