// What every DynamoDB integration test needs: the embedded DynamoDB (dynalite) for the file, its
// tables created from the same specs the CDK stack deploys, and a document client on it.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { type TableSpec, tableName } from '@mangaassist/contracts';
import { type EmbeddedDynamoDb, ensureTables, startEmbeddedDynamoDb } from '@mangaassist/local';
import { afterAll, beforeAll } from 'vitest';

/** The stage the integration tests' tables are named for (`mangaassist-it-<table>`). */
const stage = 'it';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'ap-northeast-1';

/** The name of a table of `useEmbeddedDynamoDb`. */
export function testTableName(spec: TableSpec): string {
  return tableName(stage, spec);
}

/**
 * Starts the embedded DynamoDB with `specs`' tables before the file's tests (`beforeAll`), and
 * closes it and its client after them (`afterAll`). Returns a getter for the document client
 * (`createDocumentClient`), with `endpoint()` beside it, to be called inside tests and hooks
 * only: they throw before then.
 *
 * @example const documents = useEmbeddedDynamoDb([productsTable]); … documents().send(…)
 */
export function useEmbeddedDynamoDb(
  specs: readonly TableSpec[],
): (() => DynamoDBDocumentClient) & { readonly endpoint: () => string } {
  let dynamo: EmbeddedDynamoDb | undefined;
  let documents: DynamoDBDocumentClient | undefined;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials });
    await ensureTables(client, stage, specs);
    client.destroy();
    documents = createDocumentClient({ endpoint: dynamo.endpoint, region, credentials });
  });

  afterAll(async () => {
    documents?.destroy();
    await dynamo?.close();
  });

  const running = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('The embedded DynamoDB is not running (call inside a test or hook).');
    return value;
  };
  return Object.assign(() => running(documents), { endpoint: () => running(dynamo).endpoint });
}
