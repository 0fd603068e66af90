import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { WebSocketChat } from '@mangaassist/chat';
import { createPlatform, type Platform } from '@mangaassist/chat/platform';
import { discardMetrics, type Logger, silentLogger } from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { consumerLimits } from '@mangaassist/consumers';
import {
  DynamoDbAnalyticsStore,
  DynamoDbProductCatalog,
  DynamoDbProductStore,
  DynamoDbReviewStore,
} from '@mangaassist/consumers/dynamodb';
import {
  connectionsTable,
  consumedEventsTable,
  eventConsumers,
  eventRules,
  inferenceAnalyticsTable,
  productsTable,
  reviewsTable,
  sessionsTable,
  tableName,
  tableSpecs,
  taskNames,
  taskRoutes,
  webhookIdempotencyTable,
} from '@mangaassist/contracts';
import { EventBridgeEventPublisher } from '@mangaassist/events/eventbridge';
import { type FmGatewayOptions, gatewayConfigSchema } from '@mangaassist/fm-gateway';
import { makeChatStreamHandler } from '@mangaassist/fn-chat-stream';
import { makeChatSyncHandler } from '@mangaassist/fn-chat-sync';
import { makeEventConsumerHandlers } from '@mangaassist/fn-event-consumer';
import { makeTaskHandler } from '@mangaassist/fn-tasks';
import { makeWebhookReceivers, webhookSchemes } from '@mangaassist/fn-webhook';
import { makeWsConnectionHandler } from '@mangaassist/fn-ws-connection';
import { makeWsMessageHandler } from '@mangaassist/fn-ws-message';
import { makeWsTicketHandler } from '@mangaassist/fn-ws-ticket';
import { toIssues } from '@mangaassist/http';
import type { StreamingLambdaHandler } from '@mangaassist/http/api-gateway';
import { DynamoDbIdempotencyStore } from '@mangaassist/idempotency/dynamodb';
import { createLocalApiKeys, devTenants } from '@mangaassist/tenants';
import { generateDevWebhookSecrets, makeWebhookRouter, StaticWebhookSecrets } from '@mangaassist/webhooks';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod';
import {
  type BedrockEmulator,
  type BedrockEmulatorOptions,
  faultSpecSchema,
  scriptSpecSchema,
  startBedrockEmulator,
} from '../bedrock-emulator/index.js';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../dynamodb/embedded-dynamodb.js';
import { ensureTables } from '../dynamodb/ensure-tables.js';
import {
  type LocalEventBridge,
  putEventsFaultSpecSchema,
  startLocalEventBridge,
} from '../eventbridge/index.js';
import { LocalOutbox } from '../outbox/local-outbox.js';
import { serveStaticPage } from '../web/static-site.js';
import { LocalConnectionPusher } from '../websocket/local-connection-pusher.js';
import {
  attachLocalWebSocketGateway,
  type LocalWebSocketGateway,
} from '../websocket/local-websocket-gateway.js';
import { toApiGatewayEvent } from './api-gateway-event.js';
import { refuseLocalControl } from './local-control-guard.js';
import { readBody, sendError, sendJson } from './local-http.js';
import { parseRequestTarget } from './request-target.js';
import { localStreamingRuntime, serveStreamingLambda } from './streaming-lambda.js';

export interface DevServerOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** A real Redis for the response cache, budgets, tickets and resume frames; unset = process memory. */
  readonly redisUrl?: string;
  /** Port of the Bedrock emulator. @default 0 (a free port; see `/_local/endpoints`) */
  readonly bedrockPort?: number;
  /** Port of the embedded DynamoDB. @default 0 (a free port; see `/_local/endpoints`) */
  readonly dynamoDbPort?: number;
  /** Port of the local EventBridge endpoint. @default 0 (a free port; see `/_local/endpoints`) */
  readonly eventBridgePort?: number;
  /** Budget for one chat answer (or a stream's first token). @default 3000 */
  readonly chatDeadlineMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Emulator options (deterministic randomness, latency) for tests. */
  readonly emulator?: Omit<BedrockEmulatorOptions, 'port' | 'host'>;
  /** Gateway overrides (clock, breakers) for tests. */
  readonly gateway?: Partial<FmGatewayOptions>;
}

export interface DevServer {
  readonly url: string;
  readonly port: number;
  readonly emulator: BedrockEmulator;
  readonly dynamoDb: EmbeddedDynamoDb;
  readonly eventBridge: LocalEventBridge;
  readonly platform: Platform;
  /** The dev webhook secrets per source (also at `GET /_local/webhook-secrets`). */
  readonly webhookSecrets: Readonly<Record<string, readonly string[]>>;
  /** The dev tenants' API keys (also at `GET /_local/api-keys`). */
  readonly apiKeys: readonly { readonly tenant: string; readonly key: string }[];
  close(): Promise<void>;
}

/** Largest request body the local server reads: API Gateway REST's payload limit. */
const maxRequestBytes = 10 * 1024 * 1024;
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const stage = 'local';
const localEventBusName = 'mangaassist-local-ai-events';

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type StreamingProxyHandler = StreamingLambdaHandler<APIGatewayProxyEvent>;

interface RequestContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly path: string;
  readonly requestId: string;
}

type Handler = (context: RequestContext) => Promise<void>;

/**
 * `pnpm dev`: the platform on one port with no AWS account. Starts the Bedrock emulator and the
 * embedded DynamoDB (tables from the same specs the stacks deploy), builds the same platform and
 * the same Lambda handlers the stacks deploy, and serves: the REST API under `/v1` behind dev
 * API keys (403 without one, as API Gateway), SSE at `POST /v1/chat/stream`, the WebSocket API at
 * `/ws`, the chat page at `/`, and the `/_local` inspection and control endpoints.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const logger = options.logger ?? silentLogger;
  const emulator = await startBedrockEmulator({
    ...options.emulator,
    port: options.bedrockPort ?? 0,
    host: '127.0.0.1',
  });
  const dynamoDb = await startEmbeddedDynamoDb({ port: options.dynamoDbPort ?? 0 });
  const tables = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: 'ap-northeast-1',
    credentials: localCredentials,
  });
  await ensureTables(tables, stage, tableSpecs, { logger });
  tables.destroy();
  const eventBridge = await startLocalEventBridge({
    port: options.eventBridgePort ?? 0,
    logger,
    busOptions: { capacity: 20_000 },
  });

  const keys = createLocalApiKeys(devTenants);
  const config = gatewayConfigSchema.parse({
    bedrockEndpoint: emulator.url,
    dynamoDbEndpoint: dynamoDb.endpoint,
    sessionsTable: tableName(stage, sessionsTable),
    connectionsTable: tableName(stage, connectionsTable),
    eventBridgeEndpoint: eventBridge.endpoint,
    eventBusName: localEventBusName,
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.chatDeadlineMs ? { chatDeadlineMs: options.chatDeadlineMs } : {}),
  });
  const pusher = new LocalConnectionPusher();
  const platform = createPlatform(config, {
    credentials: localCredentials,
    logger,
    tenants: keys.directory,
    pusher,
    ...(options.gateway ? { gateway: options.gateway } : {}),
  });

  // The deployed handlers, over the local platform.
  const deadlineMs = config.chatDeadlineMs;
  const chat = makeChatSyncHandler({ ...platform, deadlineMs });
  const chatStream = makeChatStreamHandler({
    ...platform,
    firstTokenDeadlineMs: deadlineMs,
    runtime: localStreamingRuntime,
  });
  const tickets = makeWsTicketHandler(platform);
  const webhookSecrets = new StaticWebhookSecrets(generateDevWebhookSecrets(), { formats: webhookSchemes });
  const webhookEvents = new EventBridgeClient({
    endpoint: eventBridge.endpoint,
    region: 'ap-northeast-1',
    credentials: localCredentials,
    maxAttempts: 1,
  });
  const webhooks = makeWebhookRouter(
    makeWebhookReceivers({
      secrets: webhookSecrets,
      idempotency: new DynamoDbIdempotencyStore(
        createDocumentClient({
          endpoint: dynamoDb.endpoint,
          region: 'ap-northeast-1',
          credentials: localCredentials,
        }),
        { tableName: tableName(stage, webhookIdempotencyTable), logger },
      ),
      events: new EventBridgeEventPublisher(webhookEvents, { eventBusName: localEventBusName, logger }),
      gateway: platform.gateway,
      logger,
    }),
    { logger },
  );
  const webSocket = new WebSocketChat({ ...platform, pusher, firstTokenDeadlineMs: deadlineMs });

  // The event consumers the stacks deploy, as targets of the same rules on the local bus.
  const documents = createDocumentClient({
    endpoint: dynamoDb.endpoint,
    region: 'ap-northeast-1',
    credentials: localCredentials,
  });
  const outbox = new LocalOutbox();
  const consumers = makeEventConsumerHandlers({
    dedupe: new DynamoDbIdempotencyStore(documents, {
      tableName: tableName(stage, consumedEventsTable),
      ttlSeconds: consumerLimits.dedupeTtlSeconds,
      logger,
    }),
    events: new EventBridgeEventPublisher(webhookEvents, { eventBusName: localEventBusName, logger }),
    model: platform.gateway,
    emails: outbox,
    products: new DynamoDbProductStore(documents, { tableName: tableName(stage, productsTable) }),
    reviews: new DynamoDbReviewStore(documents, { tableName: tableName(stage, reviewsTable) }),
    analytics: new DynamoDbAnalyticsStore(documents, {
      tableName: tableName(stage, inferenceAnalyticsTable),
    }),
    productCatalog: new DynamoDbProductCatalog(documents, { tableName: tableName(stage, productsTable) }),
    metrics: discardMetrics,
    logger,
  });
  const targets: Record<string, (input: unknown) => Promise<void>> = {
    'moderation-alert-webhook': async (input) => {
      outbox.notify({ target: 'moderation-alert-webhook', payload: input });
    },
  };
  for (const name of eventConsumers) {
    const consume = consumers[name];
    if (consume) {
      targets[name] = async (input) => {
        await consume(input);
      };
    }
  }
  const scheduled = eventRules.filter((rule) => rule.schedule !== undefined);
  eventBridge.bus.addRules(
    eventRules.filter((rule) => rule.schedule === undefined),
    targets,
    { eventBusName: localEventBusName },
  );
  // EventBridge runs scheduled rules on the default bus.
  eventBridge.bus.addRules(scheduled, targets);

  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/v1/chat': { POST: withApiKey(lambdaProxy(chat)) },
    '/v1/chat/stream': { POST: withApiKey(streamingLambdaProxy(chatStream)) },
    '/v1/ws-tickets': { POST: withApiKey(lambdaProxy(tickets)) },
    ...Object.fromEntries(
      taskNames.map((task) => [
        taskRoutes[task].path,
        { POST: withApiKey(lambdaProxy(makeTaskHandler({ ...platform, task }))) },
      ]),
    ),
    '/_local/api-keys': { GET: async ({ response }) => sendJson(response, 200, { keys: keys.list() }) },
    '/_local/endpoints': {
      GET: async ({ response }) =>
        sendJson(response, 200, {
          bedrock: {
            url: emulator.url,
            regions: 'any: the region is read from the request signature',
            credentials: { ...localCredentials },
          },
          dynamodb: {
            url: dynamoDb.endpoint,
            tables: [config.sessionsTable, config.connectionsTable],
            credentials: { ...localCredentials },
          },
          eventbridge: {
            url: eventBridge.endpoint,
            bus: localEventBusName,
            credentials: { ...localCredentials },
          },
          websocket: { url: `ws://${options.host ?? '127.0.0.1'}:${port}/ws?ticket=<POST /v1/ws-tickets>` },
        }),
    },
    '/_local/bedrock/faults': controls(emulator.faults, faultSpecSchema),
    '/_local/bedrock/scripts': controls(emulator.scripts, scriptSpecSchema),
    '/_local/bedrock/stats': {
      GET: async ({ response }) => sendJson(response, 200, emulator.stats()),
      DELETE: async ({ response }) => {
        emulator.resetStats();
        sendJson(response, 200, { cleared: true });
      },
    },
    '/_local/events': {
      GET: async ({ response }) => sendJson(response, 200, eventBridge.bus.list()),
      DELETE: async ({ response }) => {
        eventBridge.bus.clear();
        sendJson(response, 200, { events: [] });
      },
    },
    '/_local/eventbridge/faults': controls(eventBridge.faults, putEventsFaultSpecSchema),
    '/_local/dlq': {
      GET: async ({ response }) => sendJson(response, 200, eventBridge.bus.deadLetters()),
      DELETE: async ({ response }) => {
        eventBridge.bus.clearDeadLetters();
        sendJson(response, 200, { messages: [] });
      },
    },
    '/_local/outbox': {
      GET: async ({ response }) => sendJson(response, 200, outbox.list()),
      DELETE: async ({ response }) => {
        outbox.clear();
        sendJson(response, 200, { emails: [], notifications: [] });
      },
    },
    ...Object.fromEntries(
      scheduled.map((rule) => [
        `/_local/schedules/${rule.name}`,
        {
          POST: async ({ response }: RequestContext) =>
            sendJson(response, 202, eventBridge.bus.runSchedule(rule.name)),
        },
      ]),
    ),
    '/_local/webhook-secrets': {
      GET: async ({ response }) => sendJson(response, 200, webhookSecrets.list()),
    },
    '/_local/gateway/health': {
      GET: async ({ response }) => sendJson(response, 200, platform.gateway.health()),
    },
  };

  /** As API Gateway with `apiKeyRequired`: no valid `x-api-key`, no call (403 JSON). */
  function withApiKey(handler: (context: RequestContext, apiKeyId: string) => Promise<void>): Handler {
    return async (context) => {
      const key = context.request.headers['x-api-key'];
      const match = typeof key === 'string' ? keys.match(key) : undefined;
      if (!match) {
        context.request.resume();
        sendError(
          context.response,
          403,
          context.requestId,
          'invalid_api_key',
          'Forbidden: send a valid x-api-key.',
        );
        return;
      }
      await handler(context, match.apiKeyId);
    };
  }

  async function proxyEvent({ request, response, path, requestId }: RequestContext, apiKeyId: string) {
    const body = await readBody(request, maxRequestBytes);
    if (!body) {
      sendError(response, 413, requestId, 'payload_too_large', `The body exceeds ${maxRequestBytes} bytes.`);
      return undefined;
    }
    return toApiGatewayEvent(request, path, body, { requestId, apiKeyId, stage });
  }

  function lambdaProxy(handler: ProxyHandler) {
    return async (context: RequestContext, apiKeyId: string) => {
      const event = await proxyEvent(context, apiKeyId);
      if (!event) return;
      const result = await handler(event);
      context.response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
      context.response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    };
  }

  function streamingLambdaProxy(handler: StreamingProxyHandler) {
    return async (context: RequestContext, apiKeyId: string) => {
      const event = await proxyEvent(context, apiKeyId);
      if (event) await serveStreamingLambda(handler, event, context.response);
    };
  }

  /** Function URLs take any method and path: the router answers 404 / 405 / 413 itself. */
  async function webhookRoute({ request, response, path, requestId }: RequestContext): Promise<void> {
    const body = await readBody(request, maxRequestBytes);
    if (!body) {
      sendError(response, 413, requestId, 'payload_too_large', `The body exceeds ${maxRequestBytes} bytes.`);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const result = await webhooks({
      method: request.method ?? 'GET',
      path,
      headers,
      body,
      requestId,
      tenantId: 'webhook',
    });
    response.writeHead(result.statusCode, { ...result.headers });
    response.end(result.body);
  }

  function controls<S extends z.ZodType>(
    registry: { add(spec: z.output<S>): void; clear(): void; list(): unknown[] },
    schema: S,
  ): Partial<Record<string, Handler>> {
    return {
      GET: async ({ response }) => sendJson(response, 200, { items: registry.list() }),
      POST: async ({ request, response, requestId }) => {
        const body = await readBody(request, 64 * 1024);
        if (!body) {
          sendError(response, 413, requestId, 'payload_too_large', 'A control body is at most 64 KiB.');
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          sendError(response, 400, requestId, 'malformed_json', 'The body is not valid JSON.');
          return;
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          sendError(
            response,
            400,
            requestId,
            'validation_failed',
            'Invalid control.',
            toIssues(parsed.error.issues),
          );
          return;
        }
        registry.add(parsed.data);
        sendJson(response, 201, { items: registry.list() });
      },
      DELETE: async ({ response }) => {
        registry.clear();
        sendJson(response, 200, { items: [] });
      },
    };
  }

  /** Answers a failed request (500, or a cut connection once the head is out); never throws. */
  function routeFailed(response: ServerResponse, requestId: string, path: string, error: unknown): void {
    logger.error('dev server route failed', {
      path,
      error: error instanceof Error ? error.stack : String(error),
    });
    try {
      if (!response.headersSent)
        sendError(response, 500, requestId, 'internal_error', 'The local server failed.');
      else response.destroy();
    } catch {
      response.destroy();
    }
  }

  // Requests still being handled when the server closes: waited for (bounded) before the stores close.
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const server: Server = createServer((request, response) => {
    const requestId = randomUUID();
    // Nothing may throw out of this listener: an uncaught error would stop `pnpm dev`.
    try {
      const path = parseRequestTarget(request.url)?.pathname;
      if (path === undefined) {
        request.resume();
        sendError(response, 400, requestId, 'bad_request', 'The request target is not a URL.');
        return;
      }
      if (path === '/_local' || path.startsWith('/_local/')) {
        const refusal = refuseLocalControl(request.method, request.headers, {
          port,
          listenHost: options.host ?? '127.0.0.1',
        });
        if (refusal) {
          request.resume();
          sendError(response, refusal.statusCode, requestId, refusal.code, refusal.message);
          return;
        }
      }
      if (request.method === 'GET' || request.method === 'HEAD') {
        const page = serveStaticPage(path);
        if (page) {
          response.writeHead(page.status, page.headers);
          response.end(request.method === 'HEAD' ? undefined : page.body);
          return;
        }
      }
      if (path.startsWith('/webhooks/')) {
        track(
          webhookRoute({ request, response, path, requestId }).catch((error: unknown) =>
            routeFailed(response, requestId, path, error),
          ),
        );
        return;
      }
      const handler = routes[path]?.[request.method ?? 'GET'];
      if (!handler) {
        // API Gateway answers an unknown resource or method alike (its MISSING_AUTHENTICATION_TOKEN
        // response, which the stack maps to this 404), so the local server does too.
        sendError(response, 404, requestId, 'not_found', `No route for ${request.method} ${path}.`);
        return;
      }
      track(
        handler({ request, response, path, requestId }).catch((error: unknown) =>
          routeFailed(response, requestId, path, error),
        ),
      );
    } catch (error) {
      routeFailed(response, requestId, request.url ?? '/', error);
    }
  });
  server.keepAliveTimeout = 65_000;

  const gateway: LocalWebSocketGateway = attachLocalWebSocketGateway(server, {
    path: '/ws',
    pusher,
    connectionHandler: makeWsConnectionHandler({ webSocket, logger }),
    messageHandler: makeWsMessageHandler({ webSocket, gateway: platform.gateway }),
    stage,
    logger,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    emulator,
    dynamoDb,
    eventBridge,
    platform,
    apiKeys: keys.list(),
    webhookSecrets: webhookSecrets.list(),
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.race([
        Promise.allSettled(inFlight),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
      // The bus first: its targets still write to DynamoDB and call the emulator while they drain.
      await eventBridge.close();
      await platform.close();
      webhookEvents.destroy();
      documents.destroy();
      await Promise.all([emulator.close(), dynamoDb.close()]);
    },
  };
}
