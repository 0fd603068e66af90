import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '@mangaassist/commons';
import { EventBridgeServiceError } from './eventbridge-errors.js';
import {
  LocalEventBus,
  type LocalEventBusCloseOptions,
  type LocalEventBusOptions,
} from './local-event-bus.js';
import { putEvents } from './put-events.js';
import { PutEventsFaults } from './put-events-faults.js';
import { testEventPattern } from './test-event-pattern.js';

const contentType = 'application/x-amz-json-1.1';
const targetPrefix = 'AWSEvents.';
/** Far above any valid request (10 entries summing to the size limit); only guards memory. */
const maxBodyBytes = 4 * 1024 * 1024;
const credentialScope = /Credential=[^/\s,]+\/\d{8}\/([a-z0-9-]+)\/events\/aws4_request/i;

export interface EventBridgeRequestHandlerOptions {
  readonly bus: LocalEventBus;
  readonly faults: PutEventsFaults;
  /** Region for requests without a SigV4 credential scope. @default 'ap-northeast-1' */
  readonly defaultRegion?: string;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** A Node request listener; mountable on any server, whatever the path. */
export type EventBridgeRequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Serves the EventBridge AWS JSON 1.1 protocol on `POST` at any path: `X-Amz-Target:
 * AWSEvents.PutEvents` puts events on `bus` (answering before any rule target runs, as
 * EventBridge does), `AWSEvents.TestEventPattern` matches an event against a pattern with
 * EventBridge's semantics; any other target is an `UnknownOperationException`.
 * Errors are answered as the SDK parses them (status plus `{"__type", "message"}`). Signatures
 * are not verified; the region comes from the SigV4 credential scope when there is one.
 */
export function createEventBridgeRequestHandler(
  options: EventBridgeRequestHandlerOptions,
): EventBridgeRequestHandler {
  const logger = options.logger ?? silentLogger;
  const defaultRegion = options.defaultRegion ?? 'ap-northeast-1';
  const operations = new Map<string, (body: unknown, region: string) => unknown>([
    ['PutEvents', (body, region) => putEvents(body, { bus: options.bus, faults: options.faults, region })],
    ['TestEventPattern', (body) => testEventPattern(body)],
  ]);

  return (request, response) => {
    const requestId = randomUUID();
    serve(request)
      .then((body) => send(response, 200, body, requestId))
      .catch((error: unknown) => {
        if (error instanceof EventBridgeServiceError) {
          send(response, error.status, { __type: error.errorType, message: error.message }, requestId);
          return;
        }
        logger.error('local EventBridge request failed', {
          error: error instanceof Error ? error.stack : String(error),
        });
        send(
          response,
          500,
          { __type: 'InternalException', message: 'The local endpoint failed.' },
          requestId,
        );
      });
  };

  async function serve(request: IncomingMessage): Promise<unknown> {
    const target = request.headers['x-amz-target'];
    const operation =
      request.method === 'POST' && typeof target === 'string' && target.startsWith(targetPrefix)
        ? operations.get(target.slice(targetPrefix.length))
        : undefined;
    if (!operation) {
      request.resume();
      throw new EventBridgeServiceError(
        'UnknownOperationException',
        `The operation ${typeof target === 'string' ? target : '(no X-Amz-Target)'} is not served by the local EventBridge endpoint.`,
      );
    }
    const body = await readBody(request);
    let json: unknown;
    try {
      json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new EventBridgeServiceError('SerializationException', 'The request body is not valid JSON.');
    }
    const authorization = request.headers.authorization ?? '';
    const scope = credentialScope.exec(authorization)?.[1];
    // A regex capture is a slice that keeps the whole header alive; each kept event holds its
    // region (20,000 events in pnpm dev held 6 MB of Authorization headers), so copy it out.
    const region = scope === undefined ? defaultRegion : Buffer.from(scope.toLowerCase()).toString();
    return operation(json, region);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBodyBytes) {
      request.resume();
      throw new EventBridgeServiceError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  response.end(text);
}

export interface LocalEventBridgeOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** The bus events go to. @default a new `LocalEventBus` with `busOptions` */
  readonly bus?: LocalEventBus;
  readonly busOptions?: LocalEventBusOptions;
  /** Uniform in [0, 1), for fractional fault rates. @default Math.random */
  readonly random?: () => number;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/** A running local EventBridge endpoint. */
export interface LocalEventBridge {
  /** Base URL for `new EventBridgeClient({ endpoint })`, e.g. `http://127.0.0.1:54321`. */
  readonly endpoint: string;
  readonly port: number;
  readonly bus: LocalEventBus;
  /** Injected PutEvents failures; they take effect for the next request. */
  readonly faults: PutEventsFaults;
  /**
   * Closes the bus first (`LocalEventBus.close`: no new event is accepted — PutEvents answers a
   * 503 `ServiceUnavailableException` — pending retries are given up, running target calls get
   * up to `drainMs` to settle), then stops listening and drops open connections. The bus is
   * closed even when it was passed in as `bus`. Call it before closing what targets write to.
   * Idempotent: later calls return the first call's promise.
   */
  close(options?: LocalEventBusCloseOptions): Promise<void>;
}

/**
 * Starts a local Amazon EventBridge endpoint on its own port (as the Bedrock emulator runs on
 * its own), so the real `@aws-sdk/client-eventbridge` — or the AWS CLI with `--endpoint-url` —
 * can put events on the local bus with any static credentials and any region.
 *
 * @example
 * const eventBridge = await startLocalEventBridge();
 * const client = new EventBridgeClient({
 *   endpoint: eventBridge.endpoint,
 *   region: 'ap-northeast-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
 * });
 * eventBridge.faults.failNext({ count: 2, errorCode: 'ThrottlingException' });
 * await client.send(new PutEventsCommand({ Entries: [...] })); // the first two entries fail
 * eventBridge.bus.list(); // { events: [...] }, newest first
 */
export async function startLocalEventBridge(
  options: LocalEventBridgeOptions = {},
): Promise<LocalEventBridge> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const bus = options.bus ?? new LocalEventBus({ logger, ...options.busOptions });
  const faults = new PutEventsFaults(options.random);
  const server = createServer(createEventBridgeRequestHandler({ bus, faults, logger }));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${urlHost}:${port}`,
    port,
    bus,
    faults,
    close: (closeOptions) => {
      closing ??= (async () => {
        // The endpoint stays up while the bus drains, so that targets still running and putting
        // events hear a clear 503 rather than a refused connection.
        await bus.close(closeOptions);
        await new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        });
      })();
      return closing;
    },
  };
}
