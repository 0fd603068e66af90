import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A low-level client for the embedded DynamoDB, with the placeholder credentials it accepts. For tests. */
export function embeddedClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates an on-demand table keyed by one string attribute. For tests. */
export async function createStringKeyTable(
  client: DynamoDBClient,
  tableName: string,
  keyName: string,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: keyName, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: keyName, AttributeType: 'S' }],
    }),
  );
}
