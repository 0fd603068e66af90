/**
 * `pnpm dev`: the whole platform on http://localhost:3000 (PORT to change) with no AWS account.
 * REDIS_URL points the response cache at a real Redis; without it the cache is in memory.
 * Chat answers from the sample catalog (citations, the grounding guard) unless CATALOG=0.
 */
import { consoleLogger } from '@mangaassist/commons';
import { startDevServer } from './dev-server/dev-server.js';
import { catalogEnabled } from './dev-server/local-catalog.js';
import { stopOnSignals } from './stop-on-signals.js';

const port = Number(process.env.PORT ?? 3000);
const starting = startDevServer({
  port,
  host: process.env.HOST ?? '127.0.0.1',
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
  catalog: catalogEnabled(process.env.CATALOG),
  logger: consoleLogger(logLevel(process.env.LOG_LEVEL)),
});
stopOnSignals(starting, (server) => server.close());
const server = await starting;

process.stdout.write(
  [
    `MangaAssist local runtime on ${server.url}`,
    `  GET  ${server.url}/                       the chat page`,
    `  POST ${server.url}/v1/chat                chat (x-api-key: a dev key below), with citations from the sample catalog (CATALOG=0: none)`,
    `  POST ${server.url}/v1/chat/stream         the same, as Server-Sent Events`,
    `  WS   ws://${server.url.slice('http://'.length)}/ws?ticket=…  WebSocket chat (ticket: POST /v1/ws-tickets)`,
    `  POST ${server.url}/v1/moderate | summarize | analyze  static routes (fast | balanced | quality)`,
    `  POST ${server.url}/v1/uploads | /v1/jobs  document jobs (GET, DELETE /v1/jobs/{id}; callbacks signed with GET /_local/callback-secrets)`,
    `  GET  ${server.url}/v1/recommendations?segment=shonen  lists per segment (regenerate: POST /_local/schedules/recommendation-schedule)`,
    `  POST ${server.url}/webhooks/{stripe|reviews|catalog}  signed webhooks (secrets: GET /_local/webhook-secrets)`,
    `  GET  ${server.url}/_local/events          every event on the local bus, with the rules it matched and each target's outcome`,
    `  GET  ${server.url}/_local/outbox          emails and notifications the consumers would have sent`,
    `  GET  ${server.url}/_local/dlq             events the bus gave up delivering`,
    `  GET  ${server.url}/_local/queues          the SQS queues in process (WebSocket messages, catalog enrichment, jobs), with their dead letters`,
    `  GET  ${server.url}/_local/executions      the state machine executions (document jobs), state by state`,
    `  GET  ${server.url}/_local/endpoints       local AWS-compatible endpoints`,
    `  POST ${server.url}/_local/bedrock/faults  inject Bedrock faults and latency (DELETE clears)`,
    `  POST ${server.url}/_local/bedrock/scripts script the emulated model's answers (DELETE clears)`,
    `  Bedrock Runtime emulator: ${server.emulator.url}`,
    `  DynamoDB (embedded): ${server.dynamoDb.endpoint}`,
    `  EventBridge (local): ${server.eventBridge.endpoint}`,
    ...server.apiKeys.map(({ tenant, key }) => `  API key of ${tenant}: ${key}`),
    `  Cache, budgets, tickets: ${process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'in memory (set REDIS_URL for Redis)'}`,
    '',
  ].join('\n'),
);

/** `LOG_LEVEL`: debug, info (the default), warn or error. */
function logLevel(value: string | undefined): 'debug' | 'info' | 'warn' | 'error' {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}
