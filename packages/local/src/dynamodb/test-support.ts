import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A low-level client for the embedded DynamoDB, with the placeholder credentials it accepts. For tests. */
export function embeddedClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
