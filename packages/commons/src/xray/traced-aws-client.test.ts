import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createDocumentClient } from '../dynamodb/document-client.js';
import { closedPort } from '../testing/closed-port.js';
import { installRecordingTraceSink, sampledTraceHeader } from '../testing/recording-trace-sink.js';
import { withTraceAnnotations } from '../tracing/tracing.js';
import { traceAwsClient } from './traced-aws-client.js';

interface Reply {
  readonly status: number;
  readonly body: object;
}

/** A DynamoDB endpoint answering each request with the next reply, recording the headers it got. */
async function fakeDynamoDb(...replies: Reply[]) {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    headers.push(request.headers);
    request.resume();
    const reply = replies.shift() ?? { status: 200, body: {} };
    response.writeHead(reply.status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': `request-${headers.length}`,
    });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, headers };
}

function tracedDynamoDb(endpoint: string, maxAttempts = 1) {
  return traceAwsClient(
    new DynamoDBClient({
      endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts,
    }),
  );
}

const getItem = new GetItemCommand({ TableName: 'Sessions', Key: { pk: { S: 'tenant#session' } } });

/** Runs the middleware `traceAwsClient` adds as the SDK would, around `next`. */
async function runMiddleware(service: string, operation: string, next: () => Promise<unknown>) {
  let middleware: ((next: unknown, context: object) => (args: object) => Promise<unknown>) | undefined;
  traceAwsClient({
    config: { region: 'ap-northeast-1' },
    middlewareStack: { add: (added: typeof middleware) => (middleware = added) },
  });
  const handler = middleware?.(next, { clientName: `${service}Client`, commandName: `${operation}Command` });
  if (handler === undefined) throw new Error('traceAwsClient added no middleware');
  return handler({ input: {}, request: { headers: {} } });
}

describe('traceAwsClient', () => {
  it('sends each call as an aws subsegment with its operation, region, request id, table and the annotations in scope', async () => {
    const sink = installRecordingTraceSink();
    const dynamo = await fakeDynamoDb({ status: 200, body: { Item: { pk: { S: 'x' } } } });
    const client = tracedDynamoDb(dynamo.endpoint);

    await withTraceAnnotations({ tenant: 'manga-store' }, () => client.send(getItem));

    expect(sink.subsegments).toEqual([
      expect.objectContaining({
        name: 'DynamoDB',
        namespace: 'aws',
        aws: {
          operation: 'GetItem',
          region: 'ap-northeast-1',
          table_name: 'Sessions',
          request_id: 'request-1',
          retries: 0,
        },
        http: { response: { status: 200 } },
        annotations: { tenant: 'manga-store' },
      }),
    ]);
    const [subsegment] = sink.subsegments;
    expect(subsegment?.error ?? subsegment?.fault ?? subsegment?.throttle).toBeUndefined();
    // The request carries the subsegment as its parent, so what it reaches joins the trace.
    expect(dynamo.headers[0]?.['x-amzn-trace-id']).toBe(
      `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=${subsegment?.id};Sampled=1`,
    );
  });

  it('traces the document client the stores share', async () => {
    const sink = installRecordingTraceSink();
    const dynamo = await fakeDynamoDb({ status: 200, body: {} });
    const documents = createDocumentClient({
      endpoint: dynamo.endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    onTestFinished(() => documents.destroy());
    await documents.send(new PutCommand({ TableName: 'Jobs', Item: { pk: 'job#1' } }));
    expect(sink.subsegments).toEqual([
      expect.objectContaining({
        name: 'DynamoDB',
        aws: expect.objectContaining({ operation: 'PutItem', table_name: 'Jobs' }),
      }),
    ]);
  });

  it('counts retries inside one subsegment', async () => {
    const sink = installRecordingTraceSink();
    const throttled = {
      __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
      message: 'slow down',
    };
    const dynamo = await fakeDynamoDb({ status: 400, body: throttled }, { status: 200, body: {} });
    await tracedDynamoDb(dynamo.endpoint, 2).send(getItem);
    expect(dynamo.headers).toHaveLength(2);
    expect(sink.subsegments).toHaveLength(1);
    expect(sink.subsegments[0]?.aws).toMatchObject({ retries: 1, request_id: 'request-2' });
  });

  it("flags a throttle (DynamoDB's is a 400), a caller's mistake and a service failure as X-Ray reads them", async () => {
    const sink = installRecordingTraceSink();
    const dynamo = await fakeDynamoDb(
      {
        status: 400,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' },
      },
      { status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad key' } },
      { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' } },
      { status: 429, body: { __type: 'RequestRateTooHigh' } },
    );
    const client = tracedDynamoDb(dynamo.endpoint);
    for (let call = 0; call < 4; call += 1) await expect(client.send(getItem)).rejects.toThrow();

    const flags = sink.subsegments.map(({ error, throttle, fault, aws, http }) => ({
      error,
      throttle,
      fault,
      code: aws?.error_code,
      status: http?.response.status,
    }));
    expect(flags).toEqual([
      {
        error: true,
        throttle: true,
        fault: undefined,
        code: 'ProvisionedThroughputExceededException',
        status: 400,
      },
      { error: true, throttle: undefined, fault: undefined, code: 'ValidationException', status: 400 },
      { error: undefined, throttle: undefined, fault: true, code: 'InternalServerError', status: 500 },
      { error: true, throttle: true, fault: undefined, code: 'RequestRateTooHigh', status: 429 },
    ]);
  });

  it('marks a call that got no answer at all a fault', async () => {
    const sink = installRecordingTraceSink();
    const client = tracedDynamoDb(`http://127.0.0.1:${await closedPort()}`);
    await expect(client.send(getItem)).rejects.toThrow();
    expect(sink.subsegments).toEqual([expect.objectContaining({ name: 'DynamoDB', fault: true })]);
    expect(sink.subsegments[0]?.http).toBeUndefined();
  });

  it("makes the call the subsegment's child, not the invocation's, where Lambda's runtime sets a trace header", async () => {
    const sink = installRecordingTraceSink();
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'chat', _X_AMZN_TRACE_ID: sampledTraceHeader };
    for (const [name, value] of Object.entries(lambda)) vi.stubEnv(name, value);
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const dynamo = await fakeDynamoDb({ status: 200, body: {} });
    await tracedDynamoDb(dynamo.endpoint).send(getItem);
    expect(dynamo.headers[0]?.['x-amzn-trace-id']).toContain(`Parent=${sink.subsegments[0]?.id};`);
  });

  it('leaves a streamed body to read as it is, and times the call to its answer', async () => {
    const sink = installRecordingTraceSink();
    const body = { transformToString: async () => 'text', async *[Symbol.asyncIterator]() {} };
    const output = { $metadata: { httpStatusCode: 200 }, Body: body };
    await runMiddleware('S3', 'GetObject', async () => ({ output }));
    expect(output.Body).toBe(body);
    expect(sink.subsegments).toEqual([
      expect.objectContaining({ name: 'S3', aws: expect.objectContaining({ operation: 'GetObject' }) }),
    ]);
  });

  it('reads each failure as exactly one of throttle, error or fault', async () => {
    const sink = installRecordingTraceSink();
    const failures: [Record<string, unknown>, object][] = [
      [
        { name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } },
        { error: true, throttle: true },
      ],
      [{ name: 'PermanentRedirect', $fault: 'client', $metadata: { httpStatusCode: 301 } }, { error: true }],
      [{ name: 'SyntaxError', $metadata: { httpStatusCode: 200 } }, { fault: true }],
      [
        { name: 'ModelStreamErrorException', $fault: 'client', originalStatusCode: 429 },
        { error: true, throttle: true },
      ],
      [{ name: 'ModelStreamErrorException', $fault: 'client', originalStatusCode: 500 }, { fault: true }],
      [{ name: 'ValidationException', $fault: 'client', originalStatusCode: 400 }, { error: true }],
      [{ name: 'InternalServerException', $fault: 'server' }, { fault: true }],
      [{ name: 'ValidationException', $fault: 'client' }, { error: true }],
      [{ name: 'TimeoutError' }, { fault: true }],
    ];
    for (const [failure] of failures) {
      await runMiddleware('S3', 'GetObject', async () => {
        throw Object.assign(new Error('failed'), failure);
      }).catch(() => undefined);
    }
    expect(sink.subsegments.map(({ error, throttle, fault }) => ({ error, throttle, fault }))).toEqual(
      failures.map(([, flags]) => ({ error: undefined, throttle: undefined, fault: undefined, ...flags })),
    );
  });

  it('leaves a call outside a sampled trace untouched', async () => {
    const sink = installRecordingTraceSink(sampledTraceHeader.replace('Sampled=1', 'Sampled=0'));
    const dynamo = await fakeDynamoDb({ status: 200, body: {} });
    await tracedDynamoDb(dynamo.endpoint).send(getItem);
    expect(sink.subsegments).toEqual([]);
    expect(dynamo.headers[0]?.['x-amzn-trace-id']).toBeUndefined();
  });
});
