/**
 * `pnpm bench faults`: how `pnpm dev` rides out a Bedrock outage, as a user of `POST /v1/chat`
 * sees it. Every emulated region answers 5xx while steady traffic runs; then the fault clears.
 * Prints how many calls reached the failing emulator per region and second once the gateway had
 * seen the outage, and how long after the fault cleared the answers were normal again.
 * Targets: answers normal within 5 s of the fault clearing; at most 5 calls per region and
 * second reach a region that is still failing. Exits non-zero when a target is missed.
 */
import { Agent } from 'node:http';
import { startDevServer } from '../src/dev-server/dev-server.js';
import { postJson } from './post-json.js';

const clients = Number(process.env.BENCH_FAULT_CLIENTS ?? 8);
const outageMs = Number(process.env.BENCH_OUTAGE_MS ?? 8_000);
const settleMs = 3_000;
const recoveryLimitMs = 5_000;
const probeLimitPerSecond = 5;

const server = await startDevServer({ port: 0 });
const apiKey = server.apiKeys[0]?.key ?? '';
const agent = new Agent({ keepAlive: true, maxSockets: clients });

interface Answer {
  readonly startedAt: number;
  readonly degraded: boolean;
}

let sent = 0;
/** One chat with a question never asked before (so no answer comes from the cache). */
async function chat(): Promise<Answer> {
  const startedAt = performance.now();
  const body = { messages: [{ role: 'user', content: `outage bench question ${sent++}` }] };
  const answer = await postJson(`${server.url}/v1/chat`, body, apiKey, agent);
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
  return { startedAt, degraded: (JSON.parse(answer.body) as { degraded: boolean }).degraded };
}

async function control(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
}

/** Calls the emulator has seen, per region. */
async function callsPerRegion(): Promise<Map<string, number>> {
  const stats = (await (await fetch(`${server.url}/_local/bedrock/stats`)).json()) as {
    entries: { region: string; attempts: number }[];
  };
  const calls = new Map<string, number>();
  for (const entry of stats.entries) calls.set(entry.region, (calls.get(entry.region) ?? 0) + entry.attempts);
  return calls;
}

const answers: Answer[] = [];
let running = true;
const load = Promise.all(
  Array.from({ length: clients }, async () => {
    while (running) answers.push(await chat());
  }),
);

await new Promise((resolve) => setTimeout(resolve, 1_000));
await control('POST', '/_local/bedrock/faults', { error: 'ServiceUnavailableException', rate: 1 });
// Let the gateway find the outage, then count what still reaches the failing regions.
await new Promise((resolve) => setTimeout(resolve, outageMs - settleMs));
const before = await callsPerRegion();
const countedFrom = performance.now();
await new Promise((resolve) => setTimeout(resolve, settleMs));
const after = await callsPerRegion();
const countedMs = performance.now() - countedFrom;
await control('DELETE', '/_local/bedrock/faults');
const clearedAt = performance.now();
await new Promise((resolve) => setTimeout(resolve, recoveryLimitMs + 2_000));
running = false;
await load;

const perRegionPerSecond = [...after].map(
  ([region, calls]) => [region, ((calls - (before.get(region) ?? 0)) * 1_000) / countedMs] as const,
);
const afterClear = answers.filter((answer) => answer.startedAt >= clearedAt);
const lastDegraded = afterClear.filter((answer) => answer.degraded).at(-1);
const recoveryMs = lastDegraded ? lastDegraded.startedAt - clearedAt : 0;
const normalAfter = afterClear.filter((answer) => !answer.degraded).length;

process.stdout.write(
  `\nFault benchmark — ${clients} clients on POST /v1/chat, every region failing (5xx) for ${outageMs / 1_000} s, node ${process.version}\n\n`,
);
for (const [region, rate] of perRegionPerSecond) {
  process.stdout.write(
    `${`calls reaching ${region} during the outage`.padEnd(52)}${rate.toFixed(1).padStart(7)} /s\n`,
  );
}
process.stdout.write(
  `${'last degraded answer after the fault cleared'.padEnd(52)}${(recoveryMs / 1_000).toFixed(2).padStart(7)} s\n`,
);
process.stdout.write(
  `${'normal answers after the fault cleared'.padEnd(52)}${String(normalAfter).padStart(7)}\n`,
);

const worstRate = Math.max(0, ...perRegionPerSecond.map(([, rate]) => rate));
const checks: [string, boolean][] = [
  [
    `answers normal again ${(recoveryMs / 1_000).toFixed(2)} s after the fault cleared ≤ 5 s`,
    recoveryMs <= recoveryLimitMs && normalAfter > 0,
  ],
  [
    `at most ${worstRate.toFixed(1)} calls/s reach a failing region ≤ ${probeLimitPerSecond}`,
    worstRate <= probeLimitPerSecond,
  ],
];
process.stdout.write('\n');
for (const [label, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'MISS'}  ${label}\n`);

agent.destroy();
await server.close();
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
