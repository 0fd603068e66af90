/**
 * `pnpm bench doors`: the chat door against its peers, in one run on this machine (issue 13).
 *
 * Starts `pnpm dev` and `pnpm orchestrator` each in its own process, as a user starts them (dev
 * with its 320 MB heap; Redis off, so the cache and budgets are in memory; every request a new
 * prompt, so no cache hit; the `InferenceCompleted` events and their consumers on, as in dev),
 * and Portkey's open-source gateway (`@portkey-ai/gateway`, pinned) on a free port in front of
 * `pnpm dev`'s Bedrock emulator. For each door: sequential latency p50/p99, then requests per
 * second at concurrency 32 with the server's peak RSS sampled meanwhile. "Added" is a door's
 * latency over the raw SDK (keep-alive HTTP/1.1, the gateway's own transport) against the same
 * emulator, measured in the same run.
 *
 * The emulator runs inside the process of the door it belongs to, as `pnpm dev` runs it: while
 * Portkey is measured, `pnpm dev`'s process answers its model calls, so Portkey's process holds
 * none of the emulator's work, while each door's holds its emulator's (and dev's its DynamoDB,
 * bus and consumers) and runs under tsx, where Portkey runs its published build. Its CPU and RSS
 * figures favour Portkey. The client runs here too, on the same two cores; its work is in every
 * figure.
 *
 * Then the cache hit (P4): both doors again with Redis (`REDIS_URL`, default 127.0.0.1:6379) for
 * the cache and budgets, one prompt asked over and over, against a Redis GET from here.
 *
 * Targets (issue 13): P1 added latency p50 ≤ 1 ms, p99 ≤ 3 ms and ≤ 0.5× Portkey's added p50;
 * P2 requests/s ≥ 2× Portkey's; P7 peak RSS under that load ≤ 0.75× Portkey's; P4 a cache hit
 * p50 ≤ 1 ms over a Redis GET, for both doors.
 * Prints the table and each target; exits non-zero when one is missed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { createRedisClient } from '@mangaassist/commons/redis';
import { closedPort } from '@mangaassist/commons/testing';
import { createBedrockRuntimeClient } from '@mangaassist/fm-gateway/bedrock';
import { quantile, rssMb, type Server, sequentialLatencies, startServer } from './local-servers.js';
import { postJson } from './post-json.js';

const sequentialRequests = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const concurrentRequests = Number(process.env.BENCH_CONCURRENT ?? 4000);
const concurrency = 32;
const warmup = 200;
const region = 'ap-northeast-1';
const modelId = 'jp.anthropic.claude-haiku-4-5-20251001-v1:0';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const targets = {
  addedP50Ms: 1,
  addedP99Ms: 3,
  addedVsPortkey: 0.5,
  throughputVsPortkey: 2,
  rssVsPortkey: 0.75,
  cacheHitOverGetMs: 1,
};
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const cacheHits = Number(process.env.BENCH_CACHE_HITS ?? 1000);

type Call = (index: number) => Promise<void>;

interface Figures {
  readonly p50: number;
  readonly p99: number;
  readonly requestsPerSecond: number;
  /** Of the server process, while it served the concurrent requests; undefined for the raw SDK. */
  readonly peakRssMb?: number;
}

const prompt = (index: number) => `Which manga should I read next? #${index}`;

/** Sequential latency, then throughput at `concurrency` with `pid`'s RSS sampled every 100 ms. */
async function measure(call: Call, pid?: number): Promise<Figures> {
  const latencies = await sequentialLatencies(call, sequentialRequests, warmup);
  let peakRssMb = pid === undefined ? undefined : rssMb(pid);
  const sampler = setInterval(() => {
    if (pid !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, rssMb(pid));
  }, 100);
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < concurrentRequests) await call(sequentialRequests + next++);
      }),
    );
  } finally {
    // Before the servers stop: a sample of a process gone would hide the run's own error.
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    requestsPerSecond: concurrentRequests / seconds,
    ...(peakRssMb === undefined ? {} : { peakRssMb }),
  };
}

/** The sequential p50 of `count` calls, after `warmup` more. */
async function sequentialP50(call: () => Promise<unknown>, count: number): Promise<number> {
  return quantile(await sequentialLatencies(call, count, warmup), 0.5);
}

/** `POST /v1/chat` of one prompt: answered by the model the first time, from the cache after. */
function cachedChat(server: Server): () => Promise<void> {
  const body = {
    model: 'claude-haiku-4-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: prompt(0) }],
  };
  let asked = false;
  return async () => {
    const answer = await postJson(`${server.url}/v1/chat`, body, server.apiKey, agent);
    if (answer.status !== 200) throw new Error(`POST /v1/chat answered ${answer.status}: ${answer.body}`);
    if (asked && !answer.body.includes('"cached":true')) throw new Error(`not a cache hit: ${answer.body}`);
    asked = true;
  };
}

/** Portkey's gateway on a free port, once it accepts connections. */
async function startPortkey(): Promise<{ readonly url: string; readonly child: ChildProcess; stop(): void }> {
  const entry = createRequire(import.meta.url).resolve('@portkey-ai/gateway/build/start-server.js');
  const port = await closedPort();
  const child = spawn(process.execPath, [entry, `--port=${port}`, '--headless'], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Read, so a chatty gateway never blocks on a full pipe; the last lines explain a failed start.
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 20) log.shift();
  });
  const deadline = Date.now() + 30_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`Portkey's gateway did not listen on port ${port} within 30 s:\n${log.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `http://127.0.0.1:${port}`, child, stop: () => child.kill('SIGTERM') };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

/** Converse on the raw SDK with the gateway's transport: the limit a door is measured against. */
function rawSdk(endpoint: string): { call: Call; stop(): void } {
  const client = createBedrockRuntimeClient({ region, endpoint, credentials });
  return {
    call: async (index) => {
      await client.send(
        new ConverseCommand({
          modelId,
          messages: [{ role: 'user', content: [{ text: prompt(index) }] }],
          inferenceConfig: { maxTokens: 256 },
        }),
      );
    },
    stop: () => client.destroy(),
  };
}

/** `POST /v1/chat` through a door, answered 200 or the run stops. */
function chatDoor(server: Server): Call {
  return async (index) => {
    const body = {
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: prompt(index) }],
    };
    const answer = await postJson(`${server.url}/v1/chat`, body, server.apiKey, agent);
    if (answer.status !== 200) throw new Error(`POST /v1/chat answered ${answer.status}: ${answer.body}`);
  };
}

/** Portkey's OpenAI-format chat completion, routed to Bedrock Converse at the emulator. */
function portkeyChat(portkeyUrl: string, emulatorUrl: string): Call {
  const headers = {
    'x-portkey-provider': 'bedrock',
    'x-portkey-aws-region': region,
    'x-portkey-aws-access-key-id': credentials.accessKeyId,
    'x-portkey-aws-secret-access-key': credentials.secretAccessKey,
    'x-portkey-custom-host': emulatorUrl,
  };
  return async (index) => {
    const body = { model: modelId, max_tokens: 256, messages: [{ role: 'user', content: prompt(index) }] };
    const answer = await postJson(`${portkeyUrl}/v1/chat/completions`, body, headers, agent);
    if (answer.status !== 200) throw new Error(`Portkey answered ${answer.status}: ${answer.body}`);
  };
}

/** What this run started, stopped at its end however it ends. */
const running: { stop(): unknown }[] = [];
async function started<T extends { stop(): unknown }>(starting: T | Promise<T>): Promise<T> {
  const peer = await starting;
  running.push(peer);
  return peer;
}

let figures: Record<'rawDev' | 'portkey' | 'dev' | 'rawOrchestrator' | 'orchestrator', Figures>;
let hits: { redisGet: number; dev: number; orchestrator: number };
try {
  const dev = await started(startServer('dev.ts', /MangaAssist local runtime on (\S+)/, { PORT: '0' }, 320));
  const orchestrator = await started(
    startServer('orchestrator.ts', /MangaAssist orchestrator \(local\) on (\S+)/, {
      PORT: '0',
      FM_PROXY_PORT: '0',
    }),
  );
  const portkey = await started(startPortkey());
  const rawDev = await started(rawSdk(dev.emulatorUrl));
  const rawOrchestrator = await started(rawSdk(orchestrator.emulatorUrl));
  figures = {
    rawDev: await measure(rawDev.call),
    portkey: await measure(portkeyChat(portkey.url, dev.emulatorUrl), portkey.child.pid),
    dev: await measure(chatDoor(dev), dev.child.pid),
    rawOrchestrator: await measure(rawOrchestrator.call),
    orchestrator: await measure(chatDoor(orchestrator), orchestrator.child.pid),
  };
  for (const peer of running.splice(0)) await peer.stop();

  const withRedis = { REDIS_URL: redisUrl };
  const client = createRedisClient(redisUrl);
  const redis = await started(Object.assign(client, { stop: () => client.quit() }));
  const cachedDev = await started(
    startServer('dev.ts', /MangaAssist local runtime on (\S+)/, { PORT: '0', ...withRedis }, 320),
  );
  const cachedOrchestrator = await started(
    startServer('orchestrator.ts', /MangaAssist orchestrator \(local\) on (\S+)/, {
      PORT: '0',
      FM_PROXY_PORT: '0',
      ...withRedis,
    }),
  );
  await redis.set('bench:doors:get', 'x'.repeat(600));
  hits = {
    redisGet: await sequentialP50(() => redis.get('bench:doors:get'), cacheHits),
    dev: await sequentialP50(cachedChat(cachedDev), cacheHits),
    orchestrator: await sequentialP50(cachedChat(cachedOrchestrator), cacheHits),
  };
} finally {
  agent.destroy();
  await Promise.all(running.map((peer) => peer.stop()));
}

const rows: [string, Figures, Figures][] = [
  ['raw SDK → pnpm dev’s emulator', figures.rawDev, figures.rawDev],
  ['Portkey 1.15.2 → the same emulator', figures.portkey, figures.rawDev],
  ['POST /v1/chat, pnpm dev', figures.dev, figures.rawDev],
  ['raw SDK → the orchestrator’s emulator', figures.rawOrchestrator, figures.rawOrchestrator],
  ['POST /v1/chat, orchestrator', figures.orchestrator, figures.rawOrchestrator],
];
const cell = (value: number | undefined, digits = 2) =>
  (value === undefined ? '—' : value.toFixed(digits)).padStart(9);
process.stdout.write(
  `\nDoors benchmark — ${sequentialRequests} sequential requests, ${concurrentRequests} at concurrency ${concurrency}, node ${process.version}\n\n`,
);
process.stdout.write(
  `${'door'.padEnd(40)}${['p50 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'req/s', 'RSS MB'].map((name) => name.padStart(9)).join('')}\n`,
);
for (const [name, door, raw] of rows) {
  const added = door === raw ? [undefined, undefined] : [door.p50 - raw.p50, door.p99 - raw.p99];
  process.stdout.write(
    `${name.padEnd(40)}${cell(door.p50)}${cell(door.p99)}${cell(added[0])}${cell(added[1])}${cell(door.requestsPerSecond, 0)}${cell(door.peakRssMb, 0)}\n`,
  );
}

const portkeyAdded = figures.portkey.p50 - figures.rawDev.p50;
const checks: [string, boolean][] = [];
for (const [name, door, raw] of [
  ['pnpm dev', figures.dev, figures.rawDev],
  ['orchestrator', figures.orchestrator, figures.rawOrchestrator],
] as const) {
  const addedP50 = door.p50 - raw.p50;
  const addedP99 = door.p99 - raw.p99;
  const throughput = door.requestsPerSecond / figures.portkey.requestsPerSecond;
  const rss = (door.peakRssMb ?? Number.NaN) / (figures.portkey.peakRssMb ?? Number.NaN);
  checks.push(
    [
      `P1 ${name}: added p50 ${addedP50.toFixed(2)} ms ≤ ${targets.addedP50Ms} ms`,
      addedP50 <= targets.addedP50Ms,
    ],
    [
      `P1 ${name}: added p99 ${addedP99.toFixed(2)} ms ≤ ${targets.addedP99Ms} ms`,
      addedP99 <= targets.addedP99Ms,
    ],
    [
      `P1 ${name}: added p50 ${addedP50.toFixed(2)} ms ≤ ${targets.addedVsPortkey}× Portkey's ${portkeyAdded.toFixed(2)} ms`,
      addedP50 <= targets.addedVsPortkey * portkeyAdded,
    ],
    [
      `P2 ${name}: ${door.requestsPerSecond.toFixed(0)} req/s = ${throughput.toFixed(2)}× Portkey's, target ≥ ${targets.throughputVsPortkey}×`,
      throughput >= targets.throughputVsPortkey,
    ],
    [
      `P7 ${name}: peak RSS ${rss.toFixed(2)}× Portkey's, target ≤ ${targets.rssVsPortkey}×`,
      rss <= targets.rssVsPortkey,
    ],
  );
}
process.stdout.write(
  `\nCache hit (Redis at ${redisUrl}), p50 of ${cacheHits} sequential: Redis GET ${hits.redisGet.toFixed(2)} ms, pnpm dev ${hits.dev.toFixed(2)} ms, orchestrator ${hits.orchestrator.toFixed(2)} ms\n`,
);
for (const [name, p50] of [
  ['pnpm dev', hits.dev],
  ['orchestrator', hits.orchestrator],
] as const) {
  const added = p50 - hits.redisGet;
  checks.push([
    `P4 ${name}: a cache hit ${added.toFixed(2)} ms over a Redis GET, target ≤ ${targets.cacheHitOverGetMs} ms`,
    added <= targets.cacheHitOverGetMs,
  ]);
}
process.stdout.write('\n');
for (const [label, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'MISS'}  ${label}\n`);

process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
