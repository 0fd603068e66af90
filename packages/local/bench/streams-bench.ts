/**
 * `pnpm bench streams`: many concurrent SSE streams through the Fargate orchestrator's server.
 * Starts `pnpm orchestrator` in its own process with the emulated model at `BENCH_TOKEN_MS` (20)
 * per token, opens `BENCH_STREAMS` (10 000) `POST /v1/chat/stream` requests at once, and for each
 * measures the time to its first token and the gaps between its chunks, from this process. The
 * added figures subtract what the emulator itself takes (its pace per token; no first-token
 * delay): added gap = observed gap − `BENCH_TOKEN_MS`, added first token = observed. The server's
 * resident memory is sampled every 250 ms. Then one stream of `BENCH_LONG_MINUTES` (10) minutes
 * (the emulator slowed to fit its answer to that), and `BENCH_DEV_STREAMS` (1 000) streams through
 * `pnpm dev` for comparison.
 * Targets (orchestrator): every stream completes ([DONE] after a usage event), added gap p99
 * ≤ 50 ms, added first token p99 ≤ 100 ms, RSS ≤ 1 GiB, the long stream completes. Exits non-zero
 * when one is missed. The client runs on the same machine: its own work is in the figures.
 */
import { Agent, request } from 'node:http';
import { quantile, rssMb, type Server, startServer } from './local-servers.js';

const streams = Number(process.env.BENCH_STREAMS ?? 10_000);
const devStreams = Number(process.env.BENCH_DEV_STREAMS ?? 1_000);
const tokenMs = Number(process.env.BENCH_TOKEN_MS ?? 20);
const longMinutes = Number(process.env.BENCH_LONG_MINUTES ?? 10);
const targets = { gapP99Ms: 50, firstTokenP99Ms: 100, rssMb: 1024 };

/** What one stream saw. */
interface StreamResult {
  readonly completed: boolean;
  readonly firstTokenMs?: number;
  readonly gapsMs: readonly number[];
  readonly chunks: number;
  readonly error?: string;
}

const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/** One `POST /v1/chat/stream`, read to its end. */
function stream(server: Server, question: string): Promise<StreamResult> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: question }] });
  return new Promise((resolve) => {
    const started = performance.now();
    let last: number | undefined;
    let firstTokenMs: number | undefined;
    const gapsMs: number[] = [];
    let chunks = 0;
    let usage = false;
    let done = false;
    let buffered = '';
    const outgoing = request(
      `${server.url}/v1/chat/stream`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': server.apiKey,
        },
      },
      (response) => {
        if (response.statusCode !== 200) {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (part: string) => {
            text += part;
          });
          response.on('end', () => {
            const code = /"code":"([a-z_]+)"/.exec(text)?.[1] ?? 'no code';
            resolve({ completed: false, gapsMs, chunks, error: `${response.statusCode} ${code}` });
          });
          return;
        }
        response.setEncoding('utf8');
        response.on('data', (text: string) => {
          const now = performance.now();
          buffered += text;
          let end = buffered.indexOf('\n\n');
          while (end !== -1) {
            const event = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            end = buffered.indexOf('\n\n');
            if (event.startsWith('data: {"text"')) {
              chunks++;
              if (firstTokenMs === undefined) firstTokenMs = now - started;
              else if (last !== undefined) gapsMs.push(now - last);
              last = now;
            } else if (event.startsWith('data: {"type":"usage"')) {
              usage = true;
            } else if (event === 'data: [DONE]') {
              done = true;
            }
          }
        });
        response.on('end', () =>
          resolve({
            completed: usage && done,
            ...(firstTokenMs === undefined ? {} : { firstTokenMs }),
            gapsMs,
            chunks,
            ...(usage && done ? {} : { error: 'ended without usage and [DONE]' }),
          }),
        );
      },
    );
    outgoing.on('error', (error) => resolve({ completed: false, gapsMs, chunks, error: error.message }));
    outgoing.end(body);
  });
}

interface RunFigures {
  readonly completed: number;
  readonly total: number;
  readonly chunksPerStream: number;
  readonly addedFirstTokenP50: number;
  readonly addedFirstTokenP99: number;
  readonly addedGapP50: number;
  readonly addedGapP99: number;
  readonly peakRssMb: number;
  readonly seconds: number;
  /** How many streams ended with each error, most first. */
  readonly errors: readonly (readonly [string, number])[];
}

/** `count` streams at once through `server`, its RSS sampled meanwhile. */
async function run(server: Server, count: number, label: string): Promise<RunFigures> {
  const pid = server.child.pid ?? 0;
  let peakRssMb = rssMb(pid);
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, rssMb(pid));
  }, 250);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      stream(server, `${label} question ${index}: おすすめの漫画は？`),
    ),
  );
  clearInterval(sampler);
  peakRssMb = Math.max(peakRssMb, rssMb(pid));
  const firstTokens = results.flatMap((result) =>
    result.firstTokenMs === undefined ? [] : [result.firstTokenMs],
  );
  const gaps = results.flatMap((result) => result.gapsMs.map((gap) => gap - tokenMs));
  const errorCounts = new Map<string, number>();
  for (const { error } of results) {
    if (error !== undefined) errorCounts.set(error, (errorCounts.get(error) ?? 0) + 1);
  }
  const errors = [...errorCounts].sort(([, a], [, b]) => b - a);
  return {
    completed: results.filter((result) => result.completed).length,
    total: count,
    chunksPerStream: results.reduce((sum, result) => sum + result.chunks, 0) / count,
    addedFirstTokenP50: quantile(firstTokens, 0.5),
    addedFirstTokenP99: quantile(firstTokens, 0.99),
    addedGapP50: quantile(gaps, 0.5),
    addedGapP99: quantile(gaps, 0.99),
    peakRssMb,
    seconds: (performance.now() - started) / 1000,
    errors,
  };
}

function print(label: string, figures: RunFigures): void {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  process.stdout.write(
    [
      `${label}: ${figures.completed}/${figures.total} streams completed in ${figures.seconds.toFixed(1)} s (${figures.chunksPerStream.toFixed(0)} chunks each)`,
      `  added first token: p50 ${ms(figures.addedFirstTokenP50)}, p99 ${ms(figures.addedFirstTokenP99)}`,
      `  added gap between chunks: p50 ${ms(figures.addedGapP50)}, p99 ${ms(figures.addedGapP99)}`,
      `  server RSS at most: ${figures.peakRssMb.toFixed(0)} MB`,
      ...(figures.errors.length > 0
        ? [`  not completed: ${figures.errors.map(([error, count]) => `${count} × ${error}`).join('; ')}`]
        : []),
      '',
    ].join('\n'),
  );
}

const orchestratorBanner = /MangaAssist orchestrator \(local\) on (\S+)/;
const failures: string[] = [];

process.stdout.write(`Streams: ${streams} at once through the orchestrator, ${tokenMs} ms per token\n`);
const orchestrator = await startServer('orchestrator.ts', orchestratorBanner, {
  PORT: '0',
  FM_PROXY_PORT: '0',
  EMULATOR_TOKEN_DELAY_MS: String(tokenMs),
});
let figures: RunFigures;
try {
  figures = await run(orchestrator, streams, 'orchestrator');
} finally {
  await orchestrator.stop();
}
print('orchestrator', figures);
if (figures.completed !== figures.total)
  failures.push(`${figures.total - figures.completed} streams did not complete`);
if (!(figures.addedGapP99 <= targets.gapP99Ms))
  failures.push(`added gap p99 ${figures.addedGapP99.toFixed(1)} ms > ${targets.gapP99Ms} ms`);
if (!(figures.addedFirstTokenP99 <= targets.firstTokenP99Ms)) {
  failures.push(
    `added first token p99 ${figures.addedFirstTokenP99.toFixed(1)} ms > ${targets.firstTokenP99Ms} ms`,
  );
}
if (figures.peakRssMb > targets.rssMb)
  failures.push(`RSS ${figures.peakRssMb.toFixed(0)} MB > ${targets.rssMb} MB`);

if (longMinutes > 0) {
  // The emulator's answer is `chunksPerStream` tokens: paced to last `longMinutes`.
  const delay = Math.ceil((longMinutes * 60_000) / Math.max(1, figures.chunksPerStream));
  process.stdout.write(`One stream of about ${longMinutes} minutes (${delay} ms per token)…\n`);
  const slow = await startServer('orchestrator.ts', orchestratorBanner, {
    PORT: '0',
    FM_PROXY_PORT: '0',
    EMULATOR_TOKEN_DELAY_MS: String(delay),
  });
  try {
    const started = performance.now();
    // The question of the burst's streams: the same answer length the pace was fitted to.
    const long = await stream(slow, 'orchestrator question 0: おすすめの漫画は？');
    const minutes = (performance.now() - started) / 60_000;
    process.stdout.write(
      `  ${long.completed ? 'completed' : `did not complete (${long.error})`} after ${minutes.toFixed(1)} minutes, ${long.chunks} chunks\n\n`,
    );
    if (!long.completed) failures.push(`the ${longMinutes}-minute stream did not complete: ${long.error}`);
  } finally {
    await slow.stop();
  }
}

if (devStreams > 0) {
  const dev = await startServer('dev.ts', /MangaAssist local runtime on (\S+)/, { PORT: '0' });
  try {
    const faults = await fetch(`${dev.url}/_local/bedrock/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokenDelayMs: tokenMs }),
    });
    if (!faults.ok) throw new Error(`pnpm dev refused the token pace: ${faults.status}`);
    print(`pnpm dev (${devStreams} streams, for comparison)`, await run(dev, devStreams, 'dev'));
  } finally {
    await dev.stop();
  }
}

process.stdout.write(
  failures.length === 0
    ? `Targets met: every stream completed, added gap p99 ≤ ${targets.gapP99Ms} ms, added first token p99 ≤ ${targets.firstTokenP99Ms} ms, RSS ≤ ${targets.rssMb} MB.\n`
    : `Targets missed: ${failures.join('; ')}\n`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
