import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallerAuthorizer, createTokenVerifier } from '@mangaassist/auth';
import { createLocalTokenIssuer } from '@mangaassist/auth/local';
import type { Logger } from '@mangaassist/commons';
import { silentLogger } from '@mangaassist/commons';
import { jobRoutes, recommendationRoutes, taskNames, taskRoutes } from '@mangaassist/contracts';
import type { FmGatewayOptions } from '@mangaassist/fm-gateway';
import { readRequestBody } from '@mangaassist/http/node';
import { makeWebhookRouter } from '@mangaassist/webhooks';
import type { BedrockEmulator, BedrockEmulatorOptions } from '../bedrock-emulator/index.js';
import type { EmbeddedDynamoDb } from '../dynamodb/embedded-dynamodb.js';
import type { LocalEventBridge } from '../eventbridge/index.js';
import { bucketObjectStore, localDocumentsBucket } from '../s3/bucket-object-store.js';
import { FileDocumentStore, localDocumentPathPrefix } from '../s3/file-document-store.js';
import { serveStaticPage } from '../web/static-site.js';
import {
  attachLocalWebSocketGateway,
  type LocalWebSocketGateway,
} from '../websocket/local-websocket-gateway.js';
import { createDevDoors } from './dev-doors.js';
import { apiGatewayRoutes, maxRequestBytes, type RequestContext, type Route } from './lambda-routes.js';
import { localStage, localTokenIssuer, startLocalAws } from './local-aws.js';
import { localCatalogGrounding } from './local-catalog.js';
import { refuseLocalControl } from './local-control-guard.js';
import { localControlRoutes } from './local-control-routes.js';
import { sendError } from './local-http.js';
import { localS3Route } from './local-s3-route.js';
import { parseRequestTarget } from './request-target.js';

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
  readonly emulator?: Omit<BedrockEmulatorOptions, 'port' | 'host' | 'batch'>;
  /** Gateway overrides (clock, breakers) for tests. */
  readonly gateway?: Partial<FmGatewayOptions>;
  /** Shrinks the job callbacks' retry schedule (30 s doubling to 8 h) for tests. @default 1 */
  readonly callbackRetryScale?: number;
  /** From this many products a catalog re-enrichment is one batch job (at least 100). @default 1000 */
  readonly batchThreshold?: number;
  /**
   * Load the sample catalog, so that chat answers cite it and are held to it (`pnpm dev` does,
   * unless `CATALOG=0`). @default false
   */
  readonly catalog?: boolean;
}

export interface DevServer {
  readonly url: string;
  readonly port: number;
  readonly emulator: BedrockEmulator;
  readonly dynamoDb: EmbeddedDynamoDb;
  readonly eventBridge: LocalEventBridge;
  /** The local documents bucket (`localDocumentsBucket` in `s3://` URIs): uploads, jobs, batch inference. */
  readonly documents: FileDocumentStore;
  /** The dev webhook secrets per source (also at `GET /_local/webhook-secrets`). */
  readonly webhookSecrets: Readonly<Record<string, readonly string[]>>;
  /** The dev tenants' API keys (also at `GET /_local/api-keys`). */
  readonly apiKeys: readonly { readonly tenant: string; readonly key: string }[];
  close(): Promise<void>;
}

/**
 * `pnpm dev`: the platform on one port with no AWS account. Starts the local AWS services
 * (`startLocalAws`), builds every door with the composition roots the Lambda handlers use
 * (`createDevDoors`), and serves: the REST API under `/v1` behind dev API keys (403 without one,
 * as API Gateway), SSE at `POST /v1/chat/stream`, the WebSocket API at `/ws`, the webhooks under
 * `/webhooks`, the chat page at `/`, and the `/_local` inspection and control endpoints.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  let port = 0;
  // End users' tokens, as Cognito would issue them: the signing key is made afresh each start.
  const tokens = await createLocalTokenIssuer(localTokenIssuer);
  // The local documents bucket: its presigned URLs point at this server, known once it listens.
  // Bedrock batch inference jobs read and write it too (`s3://mangaassist-local-documents/…`).
  const documents = await FileDocumentStore.temporary({ baseUrl: () => `http://${host}:${port}` });
  const aws = await startLocalAws({
    logger,
    batchObjects: bucketObjectStore(localDocumentsBucket, documents),
    ...(options.bedrockPort !== undefined ? { bedrockPort: options.bedrockPort } : {}),
    ...(options.dynamoDbPort !== undefined ? { dynamoDbPort: options.dynamoDbPort } : {}),
    ...(options.eventBridgePort !== undefined ? { eventBridgePort: options.eventBridgePort } : {}),
    ...(options.emulator ? { emulator: options.emulator } : {}),
  }).catch(async (error: unknown) => {
    await documents.dispose();
    throw error;
  });
  const catalog = !options.catalog
    ? undefined
    : await localCatalogGrounding(aws.emulator.url).catch(async (error: unknown) => {
        await aws.close();
        await documents.dispose();
        throw error;
      });
  const doors = createDevDoors(aws, {
    logger,
    documents,
    ...(catalog ? { grounding: catalog.grounding } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.chatDeadlineMs ? { chatDeadlineMs: options.chatDeadlineMs } : {}),
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.callbackRetryScale !== undefined ? { callbackRetryScale: options.callbackRetryScale } : {}),
    ...(options.batchThreshold !== undefined ? { batchThreshold: options.batchThreshold } : {}),
  });
  const { handlers } = doors;
  const authorize = createCallerAuthorizer({
    tenants: doors.keys.directory,
    keys: async () => doors.keys.values,
    verifyToken: createTokenVerifier(tokens, tokens.keys),
  });
  const api = apiGatewayRoutes(doors.keys, authorize, localStage);
  const webhooks = makeWebhookRouter([...handlers.webhookReceivers], { logger });

  const routes: Record<string, Partial<Record<string, Route>>> = {
    '/v1/chat': { POST: api.proxy(handlers.chat) },
    '/v1/chat/stream': { POST: api.streaming(handlers.chatStream) },
    '/v1/ws-tickets': { POST: api.proxy(handlers.tickets) },
    [jobRoutes.uploads]: { POST: api.proxy(handlers.jobs) },
    [jobRoutes.jobs]: { POST: api.proxy(handlers.jobs) },
    [recommendationRoutes.recommendations]: { GET: api.proxy(handlers.recommendations) },
    ...Object.fromEntries(
      taskNames.map((task) => [taskRoutes[task].path, { POST: api.proxy(handlers.tasks[task]) }]),
    ),
    ...localControlRoutes(aws, doors, tokens, () => `ws://${host}:${port}/ws?ticket=<POST /v1/ws-tickets>`),
  };

  /** Routes with a path parameter (`/v1/jobs/{id}`, the local bucket's keys), by prefix. */
  const prefixRoutes: readonly [string, Partial<Record<string, Route>>][] = [
    [jobRoutes.jobPrefix, { GET: api.proxy(handlers.jobs), DELETE: api.proxy(handlers.jobs) }],
    [localDocumentPathPrefix, { GET: localS3Route(documents), PUT: localS3Route(documents) }],
  ];
  const routeOf = (path: string, method: string): Route | undefined => {
    const exact = routes[path]?.[method];
    if (exact) return exact;
    const prefixed = prefixRoutes.find(([prefix]) => path.startsWith(prefix) && path.length > prefix.length);
    return prefixed?.[1][method];
  };

  /** Function URLs take any method and path: the router answers 404 / 405 / 413 itself. */
  async function webhookRoute({ request, response, path, requestId }: RequestContext): Promise<void> {
    const body = await readRequestBody(request, maxRequestBytes);
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
      // The local bucket answers any page, as the deployed bucket's CORS rule does: its presigned
      // URLs carry their own signature, which is the whole of their authority.
      const bucketPath = path.startsWith(localDocumentPathPrefix);
      if (bucketPath) {
        response.setHeader('access-control-allow-origin', '*');
        if (request.method === 'OPTIONS') {
          request.resume();
          response.writeHead(204, {
            'access-control-allow-methods': 'GET, PUT',
            'access-control-allow-headers': 'content-type',
            'access-control-max-age': '3000',
          });
          response.end();
          return;
        }
      }
      if (!bucketPath && (path === '/_local' || path.startsWith('/_local/'))) {
        const refusal = refuseLocalControl(request.method, request.headers, { port, listenHost: host });
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
      const route = path.startsWith('/webhooks/') ? webhookRoute : routeOf(path, request.method ?? 'GET');
      if (!route) {
        // API Gateway answers an unknown resource or method alike (its MISSING_AUTHENTICATION_TOKEN
        // response, which the stack maps to this 404), so the local server does too.
        sendError(response, 404, requestId, 'not_found', `No route for ${request.method} ${path}.`);
        return;
      }
      track(
        route({ request, response, path, requestId }).catch((error: unknown) =>
          routeFailed(response, requestId, path, error),
        ),
      );
    } catch (error) {
      routeFailed(response, requestId, request.url ?? '/', error);
    }
  });
  server.keepAliveTimeout = 65_000;

  const webSocketGateway: LocalWebSocketGateway = attachLocalWebSocketGateway(server, {
    path: '/ws',
    pusher: doors.pusher,
    connectionHandler: handlers.wsConnection,
    messageHandler: handlers.wsMessage,
    stage: localStage,
    logger,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    port,
    emulator: aws.emulator,
    dynamoDb: aws.dynamoDb,
    eventBridge: aws.eventBridge,
    documents,
    apiKeys: doors.keys.list(),
    webhookSecrets: doors.webhookSecrets.list(),
    async close() {
      await webSocketGateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.race([
        Promise.allSettled(inFlight),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
      // Queued WebSocket messages next: their answers still go into the frame log and the sessions.
      await Promise.all(doors.queues.map((queue) => queue.close(5000)));
      // The bus first: its targets still write to DynamoDB and call the emulator while they drain.
      await aws.eventBridge.close();
      await doors.close();
      catalog?.close();
      await aws.close();
      await documents.dispose();
    },
  };
}
