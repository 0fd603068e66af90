// The local entry points (`pnpm dev`, `pnpm orchestrator`) as the benchmarks run them: each in
// its own process, as a user starts it, with its URL and the load-test tenant's key read from its
// banner; and the figures the benchmarks share.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadTestTenantId } from '@mangaassist/tenants';

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly apiKey: string;
  /** The Bedrock emulator the server runs in its process. */
  readonly emulatorUrl: string;
  stop(): Promise<void>;
}

/** Starts a local entry point (`orchestrator.ts` or `dev.ts`) and reads its URL and a dev key. */
export async function startServer(
  entry: string,
  banner: RegExp,
  env: Record<string, string>,
  /** The V8 heap limit; `pnpm dev` runs with 320 MB. @default 1536 */
  heapMb = 1536,
): Promise<Server> {
  const script = fileURLToPath(new URL(`../src/${entry}`, import.meta.url));
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${heapMb}`, ...profile, '--import', 'tsx', script],
    {
      // The benches measure the doors as they measured them before the catalog: BENCH_CATALOG=1 grounds chat.
      env: {
        ...process.env,
        REDIS_URL: '',
        LOG_LEVEL: 'error',
        CATALOG: process.env.BENCH_CATALOG === '1' ? '1' : '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 50) log.shift();
  });
  let url: string | undefined;
  let apiKey: string | undefined;
  let emulatorUrl: string | undefined;
  if (child.stdout === null) throw new Error(`${entry} started without a stdout`);
  for await (const line of createInterface({ input: child.stdout })) {
    url ??= banner.exec(line)?.[1];
    emulatorUrl ??= /^ {2}Bedrock Runtime emulator: (\S+)/.exec(line)?.[1];
    // The load tests' tenant: a budget that thousands of answers do not spend.
    if (line.startsWith(`  API key of ${loadTestTenantId}: `)) apiKey = line.split(': ')[1];
    if (url !== undefined && apiKey !== undefined) break;
  }
  if (url === undefined || apiKey === undefined || emulatorUrl === undefined) {
    child.kill('SIGKILL');
    throw new Error(`${entry} printed no URL, key or emulator:\n${log.join('')}`);
  }
  child.stdout.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    url,
    apiKey,
    emulatorUrl,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      child.kill('SIGKILL');
    },
  };
}

/** The `q` quantile of `values` (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** The process's resident memory in MB (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/**
 * The latencies of `count` calls made one after another (`call(0)` … `call(count - 1)`), in ms,
 * after `warmup` calls (`call(-1)` … `call(-warmup)`) whose times are not kept.
 */
export async function sequentialLatencies(
  call: (index: number) => Promise<unknown>,
  count: number,
  warmup: number,
): Promise<number[]> {
  for (let index = 0; index < warmup; index++) await call(-index - 1);
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call(index);
    latencies.push(performance.now() - started);
  }
  return latencies;
}
