/**
 * The embedded DynamoDB of `pnpm dev` and of the tests: dynalite in memory, plus the operations it
 * lacks and the platform uses (`TransactWriteItems`, `UpdateTimeToLive`), on one port that the real
 * `@aws-sdk/client-dynamodb` talks to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import {
  checkRetentionOptions,
  type RetentionOptions,
  retainedOperations,
  TableRetention,
} from './retention.js';
import { createTimeToLive } from './time-to-live.js';
import { createTransactWriteItems } from './transact-write-items.js';
import {
  isObject,
  loopbackCaller,
  operationOf,
  readJsonObject,
  sendReply,
  type WireBody,
  type WireReply,
} from './wire.js';

export interface EmbeddedDynamoDbOptions {
  /** Port to listen on. @default 0 (a free port; read `endpoint`) */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Bound what the tables keep: TTL sweeps and a per-table item bound (`TableRetention`).
   * @default - none: items live until deleted, as a test expects
   */
  readonly retention?: RetentionOptions;
}

export interface EmbeddedDynamoDb {
  /** `http://host:port`: the `endpoint` for a `DynamoDBClient` (any region, any credentials). */
  readonly endpoint: string;
  /** Deletes expired items and bounds each table's item count, when `options.retention` asked for it. */
  readonly retention?: TableRetention;
  /** Stops listening, drops open connections and discards every table. */
  close(): Promise<void>;
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Starts an in-memory DynamoDB on dynalite. Tables become ACTIVE at once (no CREATING delay).
 * Beyond dynalite it answers `TransactWriteItems` (all-or-nothing, transactions one at a time;
 * see `transact-write-items.ts` for how it differs from DynamoDB) and records TTL settings
 * (`UpdateTimeToLive` / `DescribeTimeToLive`); with `retention`, `TableRetention` deletes items
 * past their TTL and keeps each table under an item bound, so memory stays bounded. Data lives as long as the
 * process; nothing is written to disk. Rejects when the port is taken.
 *
 * @example
 * const dynamo = await startEmbeddedDynamoDb();
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'ap-northeast-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startEmbeddedDynamoDb(
  options: EmbeddedDynamoDbOptions = {},
): Promise<EmbeddedDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  if (options.retention) checkRetentionOptions(options.retention);
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynaliteListeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');

  const extensions = new Map<string, (input: WireBody) => Promise<WireReply>>();
  let retention: TableRetention | undefined;
  // Requests being answered: closing waits for them, since dynalite's close closes its database
  // under any still working, which then throws out of dynalite's own callbacks.
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (closing) {
      refuseWhileClosing(response);
      return;
    }
    inFlight++;
    response.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    const operation = operationOf(request);
    const extension = operation === undefined ? undefined : extensions.get(operation);
    if (extension === undefined || request.method !== 'POST') {
      if (retention && operation !== undefined && retainedOperations.has(operation)) {
        watchWrite(request, response, (body) => retention?.observe(operation, body));
      }
      for (const listener of dynaliteListeners) listener.call(server, request, response);
      return;
    }
    void answer(request, response, extension);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${endpointHost(host)}:${port}`;

  const call = loopbackCaller(endpoint);
  const timeToLive = createTimeToLive(call);
  retention = options.retention
    ? new TableRetention(call, timeToLive.attributeOf, options.retention)
    : undefined;
  extensions.set('TransactWriteItems', createTransactWriteItems(call));
  extensions.set('UpdateTimeToLive', timeToLive.update);
  extensions.set('DescribeTimeToLive', timeToLive.describe);

  const watched = retention;
  return {
    endpoint,
    ...(watched ? { retention: watched } : {}),
    close: async () => {
      closing = true;
      watched?.close();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, closeDrainMs);
          }),
        ]);
        clearTimeout(timer);
      }
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of SDK clients would hold the server open until they idle out.
        server.closeAllConnections();
      });
    },
  };
}

/** How long closing waits for the requests being answered. */
const closeDrainMs = 2_000;

/** DynamoDB's answer while it cannot serve: SDK clients read it as a retryable 503. */
function refuseWhileClosing(response: ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/x-amz-json-1.0', connection: 'close' });
  response.end(
    JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailableException',
      message: 'The local DynamoDB is shutting down.',
    }),
  );
}

/**
 * Reads a write's request body beside dynalite (both listen to its `data`) and, once dynalite has
 * answered 200, hands it to `observe`.
 */
function watchWrite(
  request: IncomingMessage,
  response: ServerResponse,
  observe: (body: WireBody) => Promise<void> | undefined,
): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.once('finish', () => {
    if (response.statusCode !== 200) return;
    try {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (isObject(body)) void observe(body)?.catch(() => {});
    } catch {
      // dynalite answered 200 to a body it could read; nothing to learn from one it could not.
    }
  });
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  extension: (input: WireBody) => Promise<WireReply>,
): Promise<void> {
  try {
    const input = await readJsonObject(request);
    sendReply(
      response,
      input === undefined
        ? { status: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } }
        : await extension(input),
    );
  } catch (error) {
    sendReply(response, {
      status: 500,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: error instanceof Error ? error.message : String(error),
      },
    });
  }
}

/** Where clients connect: a wildcard listen address is reached through loopback. */
function endpointHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
