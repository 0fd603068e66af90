/**
 * `pnpm bench soak`: `pnpm dev` under steady load, watched for memory growth. Starts the local
 * runtime as `pnpm dev` does (its own process, no Redis), sends `BENCH_SOAK_RATE` chats a second
 * (default 100: new questions, a tenth of them in sessions, so every request calls the model,
 * publishes InferenceCompleted and feeds the consumers' tables) for `BENCH_SOAK_SECONDS` (default
 * 300), and samples the server's resident memory every 2 s. Prints the RSS at two thirds of the
 * run and at the end, the growth per 1,000 requests over the last third (least squares), and
 * the RSS that growth reaches after an hour.
 * Target: the hour's projected RSS under 600 MB, every request answered 200, and at least 95 %
 * of them within the run (a server that falls behind grows by its queue). Exits non-zero when
 * missed. Events the consumers could not keep up with are counted (dead-lettered), not failed. `BENCH_SOAK_SECONDS=3600` runs the whole hour.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadTestTenantId } from '@mangaassist/tenants';
import { postJson } from './post-json.js';

const rate = Number(process.env.BENCH_SOAK_RATE ?? 100);
const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
// The growth is judged on the last third: by then the tables have reached their item bound
// (10,000 items, about a minute at 100 req/s) and the response cache its 10,000 answers; what
// still grows is what an hour would add.
const warmupSeconds = (seconds * 2) / 3;
const hourRequests = rate * 3600;
const targetMb = 600;

/** The server's last log chunks. */
const log: string[] = [];
let stopping = false;

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly apiKey: string;
}

/** Starts `packages/local/src/dev.ts` on a free port and reads its URL and the load tests' API key. */
async function startServer(): Promise<Server> {
  const entry = fileURLToPath(new URL('../src/dev.ts', import.meta.url));
  const child = spawn(process.execPath, [...devNodeFlags(), entry], {
    env: { ...process.env, PORT: '0', REDIS_URL: '' },
    // Its log (a line per consumed event) would drown the figures: kept, shown only if it fails.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 200) log.shift();
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`pnpm dev exited early (${code ?? signal}):\n${log.join('')}`);
      process.exit(1);
    }
  });
  let url: string | undefined;
  let apiKey: string | undefined;
  if (child.stdout === null) throw new Error('pnpm dev started without a stdout to read');
  for await (const line of createInterface({ input: child.stdout })) {
    url ??= /MangaAssist local runtime on (\S+)/.exec(line)?.[1];
    if (line.startsWith(`  API key of ${loadTestTenantId}: `)) apiKey = line.split(': ')[1];
    // The banner ends with an empty line.
    if ((url !== undefined && apiKey !== undefined) || line === '') break;
  }
  if (url === undefined || apiKey === undefined) {
    stopping = true;
    child.kill('SIGTERM');
    throw new Error(`pnpm dev printed no URL or no API key of ${loadTestTenantId}`);
  }
  child.stdout?.resume();
  return { child, url, apiKey };
}

/** The arguments of `pnpm dev`'s script before its entry (package.json): the soak runs it as people do. */
function devNodeFlags(): string[] {
  const manifest: unknown = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  );
  const scripts =
    typeof manifest === 'object' && manifest !== null && 'scripts' in manifest ? manifest.scripts : {};
  const dev = typeof scripts === 'object' && scripts !== null && 'dev' in scripts ? scripts.dev : undefined;
  const [command, ...rest] = typeof dev === 'string' ? dev.split(' ') : [];
  if (command !== 'node' || rest.length === 0)
    throw new Error(`the dev script is not 'node … <entry>': ${dev}`);
  return rest.slice(0, -1);
}

/** The resident set of a process, MB (Linux `/proc`). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Events the local bus dead-lettered (a consumer's backlog full, or its retries spent). */
async function deadLetterCount({ url }: Server): Promise<number> {
  const listing: unknown = await (await fetch(`${url}/_local/dlq`)).json();
  if (typeof listing !== 'object' || listing === null) return 0;
  const kept = 'messages' in listing && Array.isArray(listing.messages) ? listing.messages.length : 0;
  const dropped = 'dropped' in listing && typeof listing.dropped === 'number' ? listing.dropped : 0;
  return kept + dropped;
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
}

const server = await startServer();
const pid = server.child.pid ?? 0;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let sent = 0;
let answered = 0;
const failures = new Map<string, number>();

async function chat(index: number): Promise<void> {
  const body = {
    messages: [{ role: 'user', content: `ワンピースの${index}巻について教えてください (soak ${index})` }],
    ...(index % 10 === 0 ? { session_id: `soak-session-${index % 500}` } : {}),
  };
  try {
    const answer = await postJson(`${server.url}/v1/chat`, body, server.apiKey, agent);
    if (answer.status === 200) answered += 1;
    else failures.set(`HTTP ${answer.status}`, (failures.get(`HTTP ${answer.status}`) ?? 0) + 1);
  } catch (error) {
    const key = error instanceof Error ? error.message : String(error);
    failures.set(key, (failures.get(key) ?? 0) + 1);
  }
}

const samples: [number, number][] = [];
const started = performance.now();
const inFlight = new Set<Promise<void>>();
// Memory is set against the requests the server has answered: one that falls behind shows as such.
const sampler = setInterval(() => samples.push([answered, rssMb(pid)]), 2000);
// Open loop at `rate`: each 10 ms tick sends what the schedule owes, whatever the answers do.
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= seconds) {
      clearInterval(tick);
      resolve();
      return;
    }
    while (sent < elapsed * rate) {
      const request = chat(sent++);
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
  }, 10);
});
const answeredInTime = answered;
await Promise.allSettled(inFlight);
clearInterval(sampler);
samples.push([answered, rssMb(pid)]);
const deadLetters = await deadLetterCount(server);
stopping = true;
server.child.kill('SIGTERM');
agent.destroy();

const afterWarmup = samples.filter(([requests]) => requests >= warmupSeconds * rate);
// A collection late in the run can make the slope negative: that is no promise of shrinking.
const growthPerRequestMb = Math.max(0, slope(afterWarmup));
const keptUp = answeredInTime >= 0.95 * sent;
const [, warmRss] = afterWarmup[0] ?? [0, Number.NaN];
const [, endRss] = samples.at(-1) ?? [0, Number.NaN];
const projected = endRss + growthPerRequestMb * Math.max(0, hourRequests - sent);
const ok = projected < targetMb && failures.size === 0 && answered === sent && keptUp;
const mb = (value: number) => `${value.toFixed(0)} MB`;
process.stdout.write(
  [
    '',
    `pnpm dev soak: ${sent} chats at ${rate}/s for ${seconds} s (${answered} answered 200, ${answeredInTime} of them within the ${seconds} s ${keptUp ? 'ok' : '!! fell behind'})`,
    `  RSS after ${warmupSeconds.toFixed(0)} s            ${mb(warmRss)}`,
    `  RSS at the end           ${mb(endRss)}`,
    `  growth, last third       ${(growthPerRequestMb * 1024 * 1000).toFixed(0)} KB per 1,000 requests`,
    `  projected after 1 h      ${mb(projected)} (${hourRequests} requests)  ${projected < targetMb ? 'ok' : '!!'}`,
    `  events dead-lettered     ${deadLetters} (consumers slower than the traffic: their backlog is bounded)`,
    ...[...failures].map(([reason, count]) => `  failed ${count}×: ${reason}`),
    `target: projected RSS after an hour at ${rate} req/s < ${targetMb} MB, every request 200`,
    '',
  ].join('\n'),
);
process.exitCode = ok ? 0 : 1;
