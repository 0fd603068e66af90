import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { type TableSpec, tableName } from '@mangaassist/contracts';

export interface EnsureTablesOptions {
  /** Receives a warning when the endpoint cannot enable TTL. @default silentLogger */
  readonly logger?: Logger;
  /** Longest wait for a new table to become ACTIVE, ms. @default 10_000 */
  readonly activeTimeoutMs?: number;
}

/**
 * Creates each table from its spec, the way the CDK stack does: named `tableName(stage, spec)`,
 * on-demand billing, the spec's partition (and sort) key, and TTL on `timeToLiveAttribute`. Meant
 * for the embedded DynamoDB of `pnpm dev` and the tests, never for a deployment.
 *
 * Idempotent: an existing table is kept as it is, and TTL already enabled on the same attribute is
 * left alone. Resolves once every table is ACTIVE, with the table names in the order of `specs`.
 *
 * Errors: rejects when an existing table has other keys than its spec, when TTL is enabled on
 * another attribute, or when a table stays inactive past `activeTimeoutMs`. An endpoint without
 * `UpdateTimeToLive` (plain dynalite answers `UnknownOperationException`) only logs a warning: the
 * tables work, their items just carry an expiry nobody acts on.
 */
export async function ensureTables(
  client: DynamoDBClient,
  stage: string,
  specs: readonly TableSpec[],
  options: EnsureTablesOptions = {},
): Promise<string[]> {
  const logger = options.logger ?? silentLogger;
  const names: string[] = [];
  for (const spec of specs) {
    const name = tableName(stage, spec);
    await createIfMissing(client, name, spec);
    const table = await waitUntilActive(client, name, options.activeTimeoutMs ?? 10_000);
    assertKeys(name, spec, table.KeySchema ?? []);
    if (spec.timeToLiveAttribute !== undefined) {
      await enableTimeToLive(client, name, spec.timeToLiveAttribute, logger);
    }
    names.push(name);
  }
  return names;
}

function keySchema(spec: Pick<TableSpec, 'partitionKey' | 'sortKey'>): KeySchemaElement[] {
  return [
    { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
    ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

async function createIfMissing(client: DynamoDBClient, name: string, spec: TableSpec): Promise<void> {
  const indexes = spec.globalSecondaryIndexes ?? [];
  const keys = [spec, ...indexes].flatMap((keyed) => [
    keyed.partitionKey,
    ...(keyed.sortKey ? [keyed.sortKey] : []),
  ]);
  const attributes = new Map(keys.map((key) => [key.name, key.type]));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keySchema(spec),
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        ...(indexes.length > 0
          ? {
              GlobalSecondaryIndexes: indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: keySchema(index),
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  } catch (error) {
    if (errorNameOf(error) !== 'ResourceInUseException') throw error;
  }
}

async function waitUntilActive(
  client: DynamoDBClient,
  name: string,
  timeoutMs: number,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (table?.TableStatus === 'ACTIVE') return table;
    if (Date.now() >= deadline) {
      throw new Error(`Table ${name} is still ${table?.TableStatus ?? 'missing'} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function assertKeys(name: string, spec: TableSpec, actual: readonly KeySchemaElement[]): void {
  const describe = (keys: readonly KeySchemaElement[]) =>
    keys.map((key) => `${key.AttributeName}:${key.KeyType}`).join(', ');
  const expected = describe(keySchema(spec));
  if (describe(actual) !== expected) {
    throw new Error(`Table ${name} exists with keys [${describe(actual)}], its spec wants [${expected}]`);
  }
}

async function enableTimeToLive(
  client: DynamoDBClient,
  name: string,
  attribute: string,
  logger: Logger,
): Promise<void> {
  const { TimeToLiveDescription: current } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: name }),
  );
  const status = current?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (current?.AttributeName === attribute) return;
    throw new Error(`Table ${name} has TTL on ${current?.AttributeName}, its spec wants ${attribute}`);
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (errorNameOf(error) !== 'UnknownOperationException') throw error;
    logger.warn('This DynamoDB endpoint cannot enable TTL; items will not expire', {
      table: name,
      attribute,
    });
  }
}

function errorNameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
