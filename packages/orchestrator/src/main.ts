/**
 * The orchestrator container's entry point (`node main.mjs`, the esbuild bundle of this file):
 * the chat core from the environment (as the Lambda doors read it), the public API on `PORT`
 * (8000) and the FM proxy on `FM_PROXY_PORT` (8080). As a sidecar (`FmProxySidecar`):
 * `FM_PROXY_ONLY=true` opens the proxy's port only, and `FM_PROXY_DEFAULT_SERVICE` names the
 * service a request that names none is counted to. On SIGTERM (ECS stopping the task) or
 * SIGINT: readiness fails at once, open requests get `DRAIN_MS` (20 000: 10 s under ECS's default
 * stop timeout of 30 s) to finish and the rest end with an error (2 s for those answers to leave),
 * pending events are sent (2 s at most), then the process exits 0. `MAX_STARTING_REQUESTS` (256)
 * and `ADMISSION_WAIT_MS` (1 000) bound a burst (`AdmissionOptions`). With
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (the ADOT sidecar's), each request is a span (`tracingFromEnvironment`).
 * With `WEBSOCKET_STREAM_QUEUE_URL`, the task also answers WebSocket chat: it consumes the message
 * queue (`WEBSOCKET_STREAM_CONCURRENCY` answers at once, 32) as the stream function would, and stops
 * receiving as the drain begins.
 * A configuration error fails at start, naming the variable.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { chatConfigFromEnvironment } from '@mangaassist/chat';
import { ConfigurationError } from '@mangaassist/commons';
import { gatewayEnvironment } from '@mangaassist/contracts';
import { admissionFromEnvironment } from './admission-gate.js';
import { createOrchestratorPlatform } from './platform/orchestrator-platform.js';
import { createWebSocketStreamWorker } from './platform/websocket-stream-worker.js';
import { tracingFromEnvironment } from './tracing.js';

const logger = new Logger({ serviceName: 'orchestrator' });

function portOf(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigurationError(`${name} must be a port number, got ${raw}`);
  }
  return port;
}

/** A whole number from `least` in `name`, or `fallback` when unset. */
function wholeNumberOf(name: string, fallback: number, least = 1): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < least) {
    throw new ConfigurationError(`${name} must be a whole number of at least ${least}, got ${raw}`);
  }
  return value;
}

const drainMs = wholeNumberOf('DRAIN_MS', 20_000, 0);
const proxyOnly = process.env.FM_PROXY_ONLY === 'true';
const defaultService = process.env.FM_PROXY_DEFAULT_SERVICE;
const config = chatConfigFromEnvironment(process.env);
const tracing = tracingFromEnvironment(process.env, 'mangaassist-orchestrator', {
  'deployment.environment.name': config.stage,
});
const platform = createOrchestratorPlatform(config, {
  logger,
  admission: admissionFromEnvironment(process.env),
  ...(tracing ? { tracing } : {}),
  ...(defaultService ? { proxyDefaultService: defaultService } : {}),
});
// Built before the server listens: a configuration error fails the start, not the first message.
const streamQueueUrl = process.env[gatewayEnvironment.websocketStreamQueueUrl];
const streamWorker = streamQueueUrl
  ? createWebSocketStreamWorker(config, {
      core: platform.core,
      queueUrl: streamQueueUrl,
      concurrency: wholeNumberOf(gatewayEnvironment.websocketStreamConcurrency, 32),
      activity: { dimensions: { Stage: config.stage } },
      logger,
    })
  : undefined;

const ports = await platform.orchestrator.listen({
  ...(proxyOnly ? {} : { api: portOf('PORT', 8000) }),
  proxy: portOf('FM_PROXY_PORT', 8080),
});
logger.info('orchestrator listening', ports);
streamWorker?.start();
if (streamWorker) logger.info('WebSocket stream worker consuming', { queueUrl: streamQueueUrl });

const stop = async (signal: string) => {
  logger.info('orchestrator stopping', { signal });
  // While the load balancer's health check notices, new requests are still answered; the stream
  // worker stops receiving at once (another task takes the queue) and finishes what it streams.
  await Promise.allSettled([
    platform.orchestrator.shutdown({ drainMs, lingerMs: Math.min(5_000, drainMs) }),
    streamWorker?.stop(drainMs),
  ]);
  // Each bounded; neither failing may cost the exit 0 ECS expects.
  await Promise.allSettled([platform.close(), tracing?.shutdown()]);
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
