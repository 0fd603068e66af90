/**
 * `pnpm bench redis`: what a Redis outage costs `POST /v1/chat` on `pnpm dev` backed by a real
 * Redis (`REDIS_URL`, default 127.0.0.1:6379), reached through a proxy whose link is cut as a
 * dead network would. Prints the sequential p50 with Redis up and while it is down, what the
 * request that meets the outage first pays — in the process's first outage, whose error paths
 * run for the first time, and in a later one — and whether tickets are still issued.
 * Targets: added p50 ≤ 5 ms once the outage is known; ≤ 50 ms added for the request that finds
 * a later outage; `POST /v1/ws-tickets` still 201. Exits non-zero when a target is missed.
 */
import { Agent } from 'node:http';
import { startTcpProxy } from '@mangaassist/commons/testing';
import { startDevServer } from '../src/dev-server/dev-server.js';
import { postJson } from './post-json.js';

const requests = Number(process.env.BENCH_REDIS_REQUESTS ?? 400);
const warmup = 100;
const redisAddress = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').host;

const proxy = await startTcpProxy(redisAddress);
const server = await startDevServer({ port: 0, redisUrl: `redis://127.0.0.1:${proxy.port}` });
const apiKey = server.apiKeys[0]?.key ?? '';
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

let sent = 0;
/** One chat with a new question (a cache miss: lookup, model, store) and how long it took, ms. */
async function timedChat(): Promise<number> {
  const started = performance.now();
  const body = { messages: [{ role: 'user', content: `Redis outage bench question ${sent++}` }] };
  const answer = await postJson(`${server.url}/v1/chat`, body, apiKey, agent);
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.body}`);
  return performance.now() - started;
}

async function p50Of(count: number): Promise<number> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) latencies.push(await timedChat());
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)] ?? Number.NaN;
}

for (let index = 0; index < warmup; index++) await timedChat();
const upP50 = await p50Of(requests);
proxy.cut();
const firstDiscovery = await timedChat();
const downP50 = await p50Of(requests);
const ticketStatus = (await postJson(`${server.url}/v1/ws-tickets`, {}, apiKey, agent)).status;
proxy.restore();
// Redis back (the client reconnects within its back-off), then a second outage.
await new Promise((resolve) => setTimeout(resolve, 3_000));
for (let index = 0; index < warmup; index++) await timedChat();
proxy.cut();
const discovery = await timedChat();
proxy.restore();

const addedP50 = downP50 - upP50;
const addedDiscovery = discovery - upP50;
const row = (label: string, value: string) =>
  process.stdout.write(`${label.padEnd(48)}${value.padStart(10)}\n`);
process.stdout.write(
  `\nRedis outage benchmark — ${requests} sequential POST /v1/chat (cache misses) with Redis up, then cut, node ${process.version}\n\n`,
);
row('p50 with Redis up', `${upP50.toFixed(2)} ms`);
row('p50 while Redis is down (outage known)', `${downP50.toFixed(2)} ms`);
row('the request that found the first outage', `${firstDiscovery.toFixed(2)} ms`);
row('the request that found a later outage', `${discovery.toFixed(2)} ms`);
row('POST /v1/ws-tickets while Redis is down', String(ticketStatus));

const checks: [string, boolean][] = [
  [`added p50 ${addedP50.toFixed(2)} ms ≤ 5 ms once the outage is known`, addedP50 <= 5],
  [
    `added ${addedDiscovery.toFixed(2)} ms ≤ 50 ms for the request that found a later outage`,
    addedDiscovery <= 50,
  ],
  [`POST /v1/ws-tickets answers ${ticketStatus} (201) while Redis is down`, ticketStatus === 201],
];
process.stdout.write('\n');
for (const [label, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'MISS'}  ${label}\n`);

agent.destroy();
await server.close();
await proxy.close();
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
