import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { traceAwsClient } from '../xray/traced-aws-client.js';

export interface DocumentClientOptions {
  /** AWS region; unset = the SDK's provider chain (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** A custom endpoint such as the embedded DynamoDB (`http://127.0.0.1:8000`); unset = AWS. */
  readonly endpoint?: string;
  /** Static credentials (the embedded DynamoDB); unset = the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Connection establishment timeout, ms. @default 1_000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest one attempt (request and response) may take, ms; then it fails with a `TimeoutError`
   * and the SDK may retry it. DynamoDB answers in milliseconds, so this only cuts off a hung call.
   * @default 3_000
   */
  readonly requestTimeoutMs?: number;
  /** Upper bound of pooled sockets per client. @default 50 */
  readonly maxSockets?: number;
}

/**
 * Builds a DynamoDB document client for the stores: plain JavaScript values in and out
 * (`removeUndefinedValues`, so an optional field left undefined is simply not written; numbers
 * come back as `number`), keep-alive sockets, and short connection and request timeouts so a
 * dead endpoint fails fast instead of holding a request. The SDK's standard retries
 * (3 attempts, throttling included) stay on: DynamoDB calls are idempotent or conditional here.
 * Build one per process and share it; `destroy()` closes its sockets.
 *
 * @example
 * const documents = createDocumentClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const maxSockets = options.maxSockets ?? 50;
  const client = traceAwsClient(
    new DynamoDBClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      requestHandler: new NodeHttpHandler({
        connectionTimeout: options.connectionTimeoutMs ?? 1_000,
        requestTimeout: options.requestTimeoutMs ?? 3_000,
        throwOnRequestTimeout: true,
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      }),
    }),
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}
