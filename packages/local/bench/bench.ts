/**
 * `pnpm bench`: the deployed bundles (sizes and cold imports, from `cdk synth` output), the
 * cost of deciding a caller (API key, end user token), the gateway's overhead against the local emulator, the chat doors against Portkey's gateway, how `pnpm dev` rides out a Bedrock outage and a
 * Redis outage, its memory under five minutes of steady load, document jobs' throughput, and
 * concurrent SSE streams through the Fargate orchestrator's server. Each
 * part prints its figures and its targets; the run exits non-zero when any target is missed. Run one part alone with
 * `pnpm bench bundles|auth|gateway|doors|faults|redis|soak|jobs|streams`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const parts = {
  bundles: 'bundle-bench.ts',
  auth: 'auth-bench.ts',
  gateway: 'gateway-bench.ts',
  doors: 'doors-bench.ts',
  faults: 'faults-bench.ts',
  redis: 'redis-outage-bench.ts',
  soak: 'soak-bench.ts',
  jobs: 'jobs-bench.ts',
  streams: 'streams-bench.ts',
} as const;
const chosen = process.argv.slice(2).filter((name): name is keyof typeof parts => name in parts);
let failed = false;
for (const part of chosen.length > 0 ? chosen : (Object.keys(parts) as (keyof typeof parts)[])) {
  const script = fileURLToPath(new URL(parts[part], import.meta.url));
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  failed ||= status !== 0;
}
process.exitCode = failed ? 1 : 0;
