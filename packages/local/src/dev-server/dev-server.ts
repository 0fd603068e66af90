import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGateway,
  type FmGatewayOptions,
  type GatewayDependencies,
  gatewayConfigSchema,
  type Logger,
  silentLogger,
  toIssues,
} from '@mangaassist/core';
import { makeChatSyncHandler } from '@mangaassist/fn-chat-sync';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import {
  type BedrockEmulator,
  type BedrockEmulatorOptions,
  faultSpecSchema,
  scriptSpecSchema,
  startBedrockEmulator,
} from '../bedrock-emulator/index.js';
import { toApiGatewayEvent } from './api-gateway-event.js';
import { readBody, sendError, sendJson } from './local-http.js';

export interface DevServerOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** A real Redis for the response cache; unset = an in-memory cache. */
  readonly redisUrl?: string;
  /** Port of the Bedrock emulator. @default 0 (a free port; see `/_local/endpoints`) */
  readonly bedrockPort?: number;
  /** Budget for one chat answer. @default 3000 */
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
  readonly gateway: GatewayDependencies['gateway'];
  close(): Promise<void>;
}

/** Largest request body the local server reads: API Gateway REST's payload limit. */
const maxRequestBytes = 10 * 1024 * 1024;
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

type Handler = (context: RequestContext) => Promise<void>;

interface RequestContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly path: string;
  readonly requestId: string;
}

/**
 * `pnpm dev`: the platform on one port with no AWS account. Starts the Bedrock emulator, builds
 * the same gateway and the same Lambda handlers the stacks deploy (pointed at the emulator),
 * and serves the public API plus the `/_local` inspection and control endpoints.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const logger = options.logger ?? silentLogger;
  const emulator = await startBedrockEmulator({
    ...options.emulator,
    port: options.bedrockPort ?? 0,
    host: '127.0.0.1',
  });
  const config = gatewayConfigSchema.parse({
    bedrockEndpoint: emulator.url,
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.chatDeadlineMs ? { chatDeadlineMs: options.chatDeadlineMs } : {}),
  });
  const dependencies = createGateway(config, {
    credentials: localCredentials,
    logger,
    ...(options.gateway ? { gateway: options.gateway } : {}),
  });
  const chat = makeChatSyncHandler({ ...dependencies, deadlineMs: config.chatDeadlineMs, logger });

  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/v1/chat': { POST: lambdaProxy(chat) },
    '/_local/endpoints': {
      GET: async ({ response }) =>
        sendJson(response, 200, {
          bedrock: {
            url: emulator.url,
            regions: 'any: the region is read from the request signature',
            credentials: { ...localCredentials },
          },
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
    '/_local/gateway/health': {
      GET: async ({ response }) => sendJson(response, 200, dependencies.gateway.health()),
    },
  };

  function lambdaProxy(handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>): Handler {
    return async ({ request, response, path, requestId }) => {
      const body = await readBody(request, maxRequestBytes);
      if (!body) {
        sendError(
          response,
          413,
          requestId,
          'payload_too_large',
          `The body exceeds ${maxRequestBytes} bytes.`,
        );
        return;
      }
      const result = await handler(toApiGatewayEvent(request, path, body, { requestId, stage: 'local' }));
      response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
      response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    };
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

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const requestId = randomUUID();
    const handler = routes[path]?.[request.method ?? 'GET'];
    if (!handler) {
      // API Gateway answers an unknown resource or method alike (its MISSING_AUTHENTICATION_TOKEN
      // response, which the stack maps to this 404), so the local server does too.
      sendError(response, 404, requestId, 'not_found', `No route for ${request.method} ${path}.`);
      return;
    }
    handler({ request, response, path, requestId }).catch((error: unknown) => {
      logger.error('dev server route failed', {
        path,
        error: error instanceof Error ? error.stack : String(error),
      });
      if (!response.headersSent)
        sendError(response, 500, requestId, 'internal_error', 'The local server failed.');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    emulator,
    gateway: dependencies.gateway,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dependencies.close();
      await emulator.close();
    },
  };
}
