/**
 * `pnpm orchestrator`: the Fargate orchestrator's server with no AWS account, over the local
 * services: the public API on http://localhost:8000 (PORT) behind the dev tenants' API keys, the
 * internal FM proxy on http://localhost:8080 (FM_PROXY_PORT). REDIS_URL points the cache and the
 * budgets at a real Redis; chat answers from the sample catalog unless CATALOG=0. Ctrl-C drains open streams for up to DRAIN_MS (5 000), then stops.
 * EMULATOR_TTFT_MS and EMULATOR_TOKEN_DELAY_MS give the emulated model a pace (`pnpm bench streams`);
 * MAX_STARTING_REQUESTS and ADMISSION_WAIT_MS bound a burst, and OTEL_EXPORTER_OTLP_ENDPOINT
 * sends a span per request to an OTLP/HTTP collector (every one: OTEL_TRACES_SAMPLER_ARG=1), as in
 * the container.
 */
import { consoleLogger } from '@mangaassist/commons';
import { admissionFromEnvironment, tracingFromEnvironment } from '@mangaassist/orchestrator';
import { catalogEnabled } from './dev-server/local-catalog.js';
import { startLocalOrchestrator } from './orchestrator/local-orchestrator.js';
import { stopOnSignals } from './stop-on-signals.js';

const tracing = tracingFromEnvironment(process.env, 'mangaassist-orchestrator', {
  'deployment.environment.name': 'local',
});
const starting = startLocalOrchestrator({
  port: Number(process.env.PORT ?? 8000),
  proxyPort: Number(process.env.FM_PROXY_PORT ?? 8080),
  host: process.env.HOST ?? '127.0.0.1',
  admission: admissionFromEnvironment(process.env),
  ...(tracing ? { tracing } : {}),
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
  catalog: catalogEnabled(process.env.CATALOG),
  emulator: {
    latency: {
      ttftMs: Number(process.env.EMULATOR_TTFT_MS ?? 0),
      tokenDelayMs: Number(process.env.EMULATOR_TOKEN_DELAY_MS ?? 0),
    },
  },
  logger: consoleLogger(process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info'),
});
// The spans of the requests the drain ends go too.
stopOnSignals(starting, async (server) => {
  await server.close(Number(process.env.DRAIN_MS ?? 5_000));
  await tracing?.shutdown();
});
const server = await starting;

process.stdout.write(
  [
    `MangaAssist orchestrator (local) on ${server.url}`,
    `  POST ${server.url}/v1/chat                chat (x-api-key: a dev key below)`,
    `  POST ${server.url}/v1/chat/stream         the same, as Server-Sent Events, with no 29 s bound`,
    `  POST ${server.url}/v1/moderate | summarize | analyze  static routes`,
    `  GET  ${server.url}/healthz | /readyz      alive | ready (required dependencies reachable)`,
    `  FM proxy: ${server.proxyUrl}/v1/chat (and /v1/chat/stream, the task routes), x-calling-service: <your service>`,
    `  Bedrock Runtime emulator: ${server.aws.emulator.url}`,
    `  DynamoDB (embedded): ${server.aws.dynamoDb.endpoint}`,
    ...server.apiKeys.map(({ tenant, key }) => `  API key of ${tenant}: ${key}`),
    '',
  ].join('\n'),
);
