/**
 * `pnpm bench auth`: what deciding a caller costs the REST API's Lambda authorizer, per request,
 * once warm: a tenant API key (a digest compared against every key) and an end user's ES256 token
 * (decode, issuer check, signature, claims), through the same `createCallerAuthorizer` the
 * authorizer runs, with the local issuer's keys in process (deployed, jose caches the JWKS).
 * Sequential p50/p99 in microseconds. Targets: p99 ≤ 1 ms for either, so the authorizer's own
 * work stays small beside the invocation (a few ms) it rides on. Exits non-zero when one is missed.
 */
import { createCallerAuthorizer, createTokenVerifier } from '@mangaassist/auth';
import { createLocalTokenIssuer } from '@mangaassist/auth/local';
import { createLocalApiKeys, devTenants } from '@mangaassist/tenants';
import { localTokenIssuer } from '../src/dev-server/local-aws.js';

const requests = Number(process.env.BENCH_AUTH_REQUESTS ?? 20_000);
const warmup = 2_000;
const targetP99Ms = 1;

const keys = createLocalApiKeys(devTenants);
const issuer = await createLocalTokenIssuer(localTokenIssuer);
const authorize = createCallerAuthorizer({
  tenants: keys.directory,
  keys: async () => keys.values,
  verifyToken: createTokenVerifier(issuer, issuer.keys),
});
const apiKey = keys.list()[0]?.key ?? '';
const { token } = await issuer.issue({ tenantId: 'dev-mobile-app', subject: 'reader-1' });

async function measure(credentials: Parameters<typeof authorize>[0]): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  for (let index = -warmup; index < requests; index++) {
    const started = performance.now();
    const decision = await authorize(credentials);
    if (index >= 0) latencies.push(performance.now() - started);
    if (!decision.allowed) throw new Error(`refused: ${decision.code}`);
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

let missed = false;
console.log(`\nCaller decisions (${requests} sequential each, after ${warmup} warm-up)`);
for (const [name, credentials] of [
  ['API key', { apiKey }],
  ['ES256 token', { authorization: `Bearer ${token}` }],
] as const) {
  const { p50, p99 } = await measure(credentials);
  const ok = p99 <= targetP99Ms;
  missed ||= !ok;
  console.log(
    `  ${name.padEnd(12)} p50 ${(p50 * 1000).toFixed(0).padStart(5)} µs  p99 ${(p99 * 1000).toFixed(0).padStart(5)} µs  (target p99 ≤ ${targetP99Ms * 1000} µs) ${ok ? 'ok' : 'MISSED'}`,
  );
}
process.exitCode = missed ? 1 : 0;
