/**
 * `pnpm bench`: what the FM gateway adds on top of a Bedrock call, measured against the local
 * emulator (no artificial latency, so the figures are pure client + gateway overhead).
 *
 * Compares, in one run and one process: the raw SDK with its default HTTP/2 handler, the raw
 * SDK with the gateway's keep-alive HTTP/1.1 handler, the core gateway (`complete`, cache off),
 * and `POST /v1/chat` through the local server (HTTP + validation + the deployed handler).
 * Sequential p50/p99 latency, then requests per second at concurrency 32.
 * Targets: gateway added latency ≤ 1 ms p50 and ≤ 3 ms p99; gateway throughput above the raw
 * default SDK's. Exits non-zero when a target is missed.
 */
import { Agent } from 'node:http';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { gatewayConfigSchema } from '@mangaassist/fm-gateway';
import { createBedrockRuntimeClient } from '@mangaassist/fm-gateway/bedrock';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import { startDevServer } from '../src/dev-server/dev-server.js';
import { sequentialLatencies } from './local-servers.js';
import { postJson } from './post-json.js';

const sequentialRequests = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const concurrentRequests = Number(process.env.BENCH_CONCURRENT ?? 6000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const warmup = 300;
const region = 'ap-northeast-1';
const modelId = 'jp.anthropic.claude-haiku-4-5-20251001-v1:0';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

type Call = (index: number) => Promise<unknown>;

interface Figures {
  readonly p50: number;
  readonly p99: number;
  readonly requestsPerSecond: number;
}

const prompt = (index: number) => `Which manga should I read next? #${index}`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(call: Call): Promise<Figures> {
  const latencies = await sequentialLatencies(call, sequentialRequests, warmup);
  latencies.sort((a, b) => a - b);

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < concurrentRequests) await call(sequentialRequests + next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requestsPerSecond: concurrentRequests / seconds,
  };
}

const server = await startDevServer({ port: 0 });
const apiKey = server.apiKeys[0]?.key ?? '';
const endpoint = server.emulator.url;
const converse =
  (client: BedrockRuntimeClient): Call =>
  (index) =>
    client.send(
      new ConverseCommand({
        modelId,
        messages: [{ role: 'user', content: [{ text: prompt(index) }] }],
        inferenceConfig: { maxTokens: 256 },
      }),
    );

const rawDefault = new BedrockRuntimeClient({ region, endpoint, credentials, maxAttempts: 1 });
const rawKeepAlive = createBedrockRuntimeClient({ region, endpoint, credentials });
const { gateway, close: closeGateway } = createGateway(
  gatewayConfigSchema.parse({ bedrockEndpoint: endpoint, regionTargets: [{ region, profile: 'jp' }] }),
  { credentials },
);
const viaGateway: Call = (index) =>
  gateway.complete({
    tenantId: 'bench',
    model: 'claude-haiku-4-5',
    messages: [{ role: 'user', content: prompt(index) }],
    maxTokens: 256,
    useCache: false,
  });
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const viaHttp: Call = async (index) => {
  const body = {
    model: 'claude-haiku-4-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: prompt(index) }],
  };
  const answer = await postJson(`${server.url}/v1/chat`, body, apiKey, agent);
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
};

const rows: [string, Figures][] = [];
for (const [name, call] of [
  ['raw SDK, default handler (HTTP/2)', converse(rawDefault)],
  ['raw SDK, keep-alive HTTP/1.1', converse(rawKeepAlive)],
  ['core gateway complete()', viaGateway],
  ['POST /v1/chat (local server)', viaHttp],
] as const) {
  rows.push([name, await measure(call)]);
}

const figure = (value: number, digits = 2) => value.toFixed(digits).padStart(9);
process.stdout.write(
  `\nGateway benchmark — ${sequentialRequests} sequential requests, ${concurrentRequests} at concurrency ${concurrency}, node ${process.version}\n\n`,
);
process.stdout.write(
  `${'path'.padEnd(36)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'req/s'.padStart(9)}\n`,
);
for (const [name, figures] of rows) {
  process.stdout.write(
    `${name.padEnd(36)}${figure(figures.p50)}${figure(figures.p99)}${figure(figures.requestsPerSecond, 0)}\n`,
  );
}

const [rawDefaultFigures, rawKeepAliveFigures, gatewayFigures] = rows.map(([, figures]) => figures);
if (!rawDefaultFigures || !rawKeepAliveFigures || !gatewayFigures) throw new Error('missing figures');
const addedP50 = gatewayFigures.p50 - rawKeepAliveFigures.p50;
const addedP99 = gatewayFigures.p99 - rawKeepAliveFigures.p99;
const checks: [string, boolean][] = [
  [`gateway added latency p50 ${addedP50.toFixed(2)} ms ≤ 1 ms (vs the same transport)`, addedP50 <= 1],
  [`gateway added latency p99 ${addedP99.toFixed(2)} ms ≤ 3 ms (vs the same transport)`, addedP99 <= 3],
  [
    `gateway ${gatewayFigures.requestsPerSecond.toFixed(0)} req/s > raw default SDK ${rawDefaultFigures.requestsPerSecond.toFixed(0)} req/s at concurrency ${concurrency}`,
    gatewayFigures.requestsPerSecond > rawDefaultFigures.requestsPerSecond,
  ],
];
process.stdout.write('\n');
for (const [label, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'MISS'}  ${label}\n`);

rawDefault.destroy();
rawKeepAlive.destroy();
agent.destroy();
await closeGateway();
await server.close();
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
