/**
 * `pnpm bench` (first part): what every deployed function weighs and how long its cold module
 * import takes, read from `cdk synth` output (`cdk.out`, synthesized first when it is missing or
 * `BENCH_SYNTH=1`).
 *
 * For each Lambda function of the templates: the minified bundle (`index.mjs`) in bytes, what
 * else rides in its zip (a source map must not), and the median of `BENCH_IMPORTS` (default 7)
 * cold imports, each in a fresh Node.js process with the function's own environment (template
 * values; references become placeholders, the Redis URL a closed local port) and its
 * `NODE_OPTIONS`, timed from before `import()` to its end: module evaluation and the handler's
 * composition root, as Lambda's init runs them. Targets: ≤ 350 KB and ≤ 80 ms per function, the
 * time judged on the fastest run (noise on a shared machine only ever adds time).
 * Exits non-zero when one is missed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const assemblyDirectory = path.join(repositoryRoot, 'cdk.out');
const imports = Number(process.env.BENCH_IMPORTS ?? 7);
const maxBundleBytes = 350 * 1024;
const maxImportMs = 80;

interface LambdaFunction {
  readonly stack: string;
  readonly logicalId: string;
  readonly description: string;
  readonly asset: string;
  readonly environment: Record<string, string>;
}

interface Row {
  readonly name: string;
  readonly functions: number;
  readonly bundleBytes: number;
  readonly otherFiles: readonly string[];
  /** The AWS SDK clients in the bundle (each names its service: `serviceId??"DynamoDB"`). */
  readonly sdkClients: readonly string[];
  readonly importMs: number;
  readonly fastestImportMs: number;
}

/** A template value as text: literals as they are, references as placeholders of the right shape. */
function placeholder(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (name === 'REDIS_URL') return 'redis://127.0.0.1:9';
  if (name === 'TENANTS_JSON')
    return JSON.stringify({ tenants: [{ id: 'bench', name: 'Bench' }], apiKeys: {} });
  if (name.endsWith('_URL')) return 'https://example.execute-api.ap-northeast-1.amazonaws.com/prod';
  if (name === 'AUTH_ISSUER') return 'https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_bench';
  if (name === 'SENDER_EMAIL') return 'noreply@example.com';
  if (name === 'JOB_STATE_MACHINE_ARN')
    return 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:bench';
  if (name.endsWith('_ROLE_ARN')) return 'arn:aws:iam::123456789012:role/bench';
  if (name === 'WEBHOOK_SECRET_ID')
    return 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:webhooks';
  return `placeholder-${name.toLowerCase().replaceAll('_', '-')}`;
}

function lambdaFunctions(): LambdaFunction[] {
  const functions: LambdaFunction[] = [];
  for (const file of readdirSync(assemblyDirectory).filter((name) => name.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(path.join(assemblyDirectory, file), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
      >;
    };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const asset = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof asset !== 'string') continue;
      const variables = ((
        resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
      )?.Variables ?? {}) as Record<string, unknown>;
      functions.push({
        stack: file.replace('.template.json', ''),
        logicalId,
        description: String(resource.Properties?.Description ?? logicalId),
        asset,
        environment: Object.fromEntries(
          Object.entries(variables).map(([name, value]) => [name, placeholder(name, value)]),
        ),
      });
    }
  }
  return functions;
}

/** Milliseconds of one cold `import()` of the bundle in a fresh process with `environment`. */
function coldImportMs(bundle: string, environment: Record<string, string>): number {
  const script = [
    // The Lambda Node.js runtime's global for response streaming, as the runtime defines it before init.
    'globalThis.awslambda = { streamifyResponse: (handler) => handler, HttpResponseStream: { from: (stream) => stream } };',
    'const started = performance.now();',
    `await import(${JSON.stringify(`file://${bundle}`)});`,
    'process.stdout.write(String(performance.now() - started));',
    'process.exit(0);',
  ].join('\n');
  const { NODE_OPTIONS: nodeOptions, ...functionEnvironment } = environment;
  const child = spawnSync(process.execPath, ['--input-type=module', '--eval', script], {
    cwd: path.dirname(bundle),
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'ap-northeast-1',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      ...functionEnvironment,
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const ms = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`importing ${bundle} failed (exit ${child.status}): ${child.stderr.slice(0, 2000)}`);
  }
  return ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function shortName(fn: LambdaFunction): string {
  // Descriptions read "MangaAssist dev: <what> (<trigger>)".
  return fn.description.replace(/^MangaAssist [a-z]+: /, '');
}

export function bundleRows(): Row[] {
  if (!existsSync(assemblyDirectory) || process.env.BENCH_SYNTH === '1') {
    process.stdout.write('synthesizing (cdk synth) …\n');
    execFileSync('pnpm', ['synth'], { cwd: repositoryRoot, stdio: 'inherit' });
  } else {
    const minutes = (Date.now() - statSync(path.join(assemblyDirectory, 'manifest.json')).mtimeMs) / 60_000;
    process.stdout.write(
      `reading the cdk.out of ${minutes.toFixed(0)} min ago (BENCH_SYNTH=1 synthesizes again first)\n`,
    );
  }
  const byAsset = new Map<string, LambdaFunction[]>();
  for (const fn of lambdaFunctions()) byAsset.set(fn.asset, [...(byAsset.get(fn.asset) ?? []), fn]);
  const rows: Row[] = [];
  for (const [asset, functions] of byAsset) {
    const directory = path.join(assemblyDirectory, asset);
    const bundle = path.join(directory, 'index.mjs');
    if (!existsSync(bundle)) continue; // not a bundled Node.js handler (e.g. a CDK custom resource)
    const first = functions[0] as LambdaFunction;
    const timings = Array.from({ length: imports }, () => coldImportMs(bundle, first.environment));
    const code = readFileSync(bundle, 'utf8');
    rows.push({
      name: functions.map(shortName).join(' | '),
      functions: functions.length,
      bundleBytes: statSync(bundle).size,
      otherFiles: readdirSync(directory).filter((file) => file !== 'index.mjs'),
      sdkClients: [
        ...new Set([...code.matchAll(/serviceId\?\?"([A-Za-z0-9 ]+)"/g)].map((match) => match[1] ?? '')),
      ].sort(),
      importMs: median(timings),
      fastestImportMs: Math.min(...timings),
    });
  }
  return rows.sort((a, b) => b.bundleBytes - a.bundleBytes);
}

export function printBundleTable(rows: readonly Row[]): boolean {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  process.stdout.write(
    `\nDeployed bundles (cdk.out; import: median and fastest of ${imports} cold imports, Node ${process.versions.node})\n`,
  );
  process.stdout.write(
    `${'bundle'.padStart(8)} ${'import'.padStart(8)} ${'fastest'.padStart(8)}  ok  function(s) [SDK clients]\n`,
  );
  let ok = true;
  for (const row of rows) {
    const within =
      row.bundleBytes <= maxBundleBytes && row.fastestImportMs <= maxImportMs && row.otherFiles.length === 0;
    ok &&= within;
    process.stdout.write(
      `${kb(row.bundleBytes).padStart(8)} ${`${row.importMs.toFixed(0)} ms`.padStart(8)} ${`${row.fastestImportMs.toFixed(0)} ms`.padStart(8)}  ${within ? 'ok' : '!!'}  ${row.name} [${row.sdkClients.join(', ') || 'none'}]${
        row.otherFiles.length > 0 ? `  (also in the zip: ${row.otherFiles.join(', ')})` : ''
      }\n`,
    );
  }
  process.stdout.write(
    `targets: every bundle ≤ ${kb(maxBundleBytes)}, fastest import ≤ ${maxImportMs} ms (noise only adds time: the fastest of the runs is the steadiest figure on a shared machine), nothing else in the zip\n`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = printBundleTable(bundleRows());
  process.exitCode = ok ? 0 : 1;
}
