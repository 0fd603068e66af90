import {
  type ChatConfig,
  makeChatEndpoint,
  makeChatRequestParser,
  makeChatStreamEndpoint,
  makeTaskEndpoint,
} from '@mangaassist/chat';
import {
  type ChatCoreOptions,
  type ChatPlatformOptions,
  createChatCore,
  createChatPlatform,
  createTaskPlatform,
} from '@mangaassist/chat/platform';
import { taskNames, taskRoutes } from '@mangaassist/contracts';
import { apiGatewayIdentity, callingServiceIdentity } from '../identity.js';
import {
  Orchestrator,
  type OrchestratorDoor,
  type OrchestratorOptions,
  type OrchestratorRoute,
  type ReadinessProbe,
} from '../orchestrator-server.js';
import { modelAttemptTracer, type RequestTracing } from '../tracing.js';

export interface OrchestratorPlatformOptions
  extends ChatPlatformOptions,
    Pick<
      OrchestratorOptions,
      'maxBodyBytes' | 'stallTimeoutMs' | 'probeTimeoutMs' | 'admission' | 'tracing'
    > {
  /**
   * How the public listener tells its callers.
   * @default apiGatewayIdentity - the API key id API Gateway forwards, mapped by `TENANTS_JSON`
   */
  readonly identifyApi?: OrchestratorDoor['identify'];
  /** The service an FM proxy request that names none is counted to (a sidecar's). @default - none: 400 */
  readonly proxyDefaultService?: string;
}

/** How long a server waits for the gateway's pending `InferenceCompleted` events when it stops. */
const eventFlushMs = 2_000;

/**
 * Bedrock sockets per region of one task: each stream holds one for its whole answer, and a task
 * serves thousands at once (a Lambda instance, one), so the pool must not queue them.
 */
export const orchestratorMaxSockets = 16_384;

/**
 * The task's `InferenceCompleted` events go ten to a PutEvents, each within 10 ms of its answer;
 * `close` sends what waits. At most 4 requests at once, each aborted after 5 s, and 10,000 events
 * waiting: past that (a bus down for long) an event is refused and logged, as a failed PutEvents is.
 */
export const orchestratorEventBatching = {
  maxBatch: 10,
  lingerMs: 10,
  maxInFlight: 4,
  maxBuffered: 10_000,
  requestTimeoutMs: 5_000,
} as const;

/**
 * The longest stream, first token to last: API Gateway's longest streamed integration (15
 * minutes), where a Lambda door keeps the gateway's 2 minutes.
 */
export const orchestratorStreamTimeoutMs = 15 * 60_000;

/**
 * What the orchestrator's chat core differs in from a Lambda door's; with `tracing`, each model
 * target the gateway tries is a span under its request.
 */
export function orchestratorCoreOptions(
  options: ChatCoreOptions = {},
  tracing?: RequestTracing,
): ChatCoreOptions {
  return {
    maxSockets: orchestratorMaxSockets,
    // One PutEvents per answer was a third of a chat's cost here (`pnpm bench doors`).
    eventBatching: orchestratorEventBatching,
    ...options,
    gateway: {
      streamTimeoutMs: orchestratorStreamTimeoutMs,
      ...(tracing ? { attemptTracer: modelAttemptTracer(tracing) } : {}),
      ...options.gateway,
    },
  };
}

/**
 * The composition root of the Fargate orchestrator: one chat core (gateway, cache, tenants'
 * budgets, session store) behind the same endpoints the Lambda doors adapt — `POST /v1/chat`,
 * `POST /v1/chat/stream` (SSE, with no 29-second bound) and the task routes — on two listeners:
 * the public API (callers identified by `identifyApi`) and the internal FM proxy (callers named
 * by `x-calling-service`, counted as tenant `svc-<name>`). `/readyz` requires the session store
 * and reports the cache (the platform answers without it). `close` sends the pending events and
 * closes Redis and the SDK clients; call it after `orchestrator.shutdown`.
 */
export function createOrchestratorPlatform(config: ChatConfig, options: OrchestratorPlatformOptions = {}) {
  const core = options.core ?? createChatCore(config, orchestratorCoreOptions(options, options.tracing));
  const chat = createChatPlatform(config, { core });
  const tasks = createTaskPlatform(config, { core });
  const { logger, catalog } = core;
  const routes: Record<string, OrchestratorRoute> = {
    'POST /v1/chat': {
      kind: 'whole',
      endpoint: makeChatEndpoint({ chat: chat.chat, catalog, deadlineMs: chat.deadlineMs, logger }),
    },
    'POST /v1/chat/stream': {
      kind: 'streaming',
      endpoint: makeChatStreamEndpoint({
        chat: chat.chat,
        parse: makeChatRequestParser({ catalog }),
        firstTokenDeadlineMs: chat.deadlineMs,
        logger,
      }),
    },
  };
  for (const task of taskNames) {
    routes[`POST ${taskRoutes[task].path}`] = {
      kind: 'whole',
      endpoint: makeTaskEndpoint({ task, chat: tasks.chat, logger }),
    };
  }
  const probes: ReadinessProbe[] = [
    {
      name: 'sessions',
      required: true,
      check: async () => {
        await chat.sessions.history('readiness', 'probe', 1);
      },
    },
  ];
  const { redis } = core;
  if (redis) {
    probes.push({
      name: 'cache',
      required: false,
      check: async () => {
        if (redis.status !== 'ready') throw new Error(`the Redis connection is ${redis.status}`);
      },
    });
  }
  const orchestrator = new Orchestrator({
    api: {
      routes,
      identify: options.identifyApi ?? apiGatewayIdentity((apiKeyId) => core.resolveTenant(apiKeyId)),
    },
    proxy: { routes, identify: callingServiceIdentity(options.proxyDefaultService) },
    probes,
    logger,
    activity: { metrics: core.metrics, dimensions: { Stage: config.stage } },
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
    ...(options.probeTimeoutMs !== undefined ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  return {
    orchestrator,
    /** The chat core of the routes, for other work of the same task (the WebSocket stream worker). */
    core,
    gateway: core.gateway,
    async close() {
      await core.gateway.flush(eventFlushMs);
      if (!options.core) await core.close();
    },
  };
}

export type OrchestratorPlatform = ReturnType<typeof createOrchestratorPlatform>;
