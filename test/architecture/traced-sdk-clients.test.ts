// Every AWS SDK client the Lambda functions build is traced (`traceAwsClient`), so each of its
// calls is an X-Ray subsegment of the invocation. `pnpm dev`'s local stand-ins, tests and examples
// in comments are not deployed. The orchestrator runs on ECS and traces with OpenTelemetry (the
// ADOT sidecar): its model calls are spans of the request that made them, and its one client of
// its own, the SQS long poll of the WebSocket worker, serves no single request.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The Lambda functions' source files: packages and functions, without tests, test support, `pnpm dev` or the orchestrator. */
function deployedSources(): string[] {
  return ['packages', 'functions'].flatMap((top) =>
    readdirSync(path.join(root, top))
      .filter((folder) => !(top === 'packages' && ['local', 'orchestrator'].includes(folder)))
      .flatMap((folder) => {
        const source = path.join(root, top, folder, 'src');
        return readdirSync(source, { recursive: true, encoding: 'utf8' })
          .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
          .filter((file) => !file.split(path.sep).includes('testing') && file !== 'testing.ts')
          .map((file) => path.join(source, file));
      }),
  );
}

/** `new XClient(` constructions in code (not in comments) that `traceAwsClient(` does not wrap. */
function untracedClients(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\*|\/\/)/.test(line))
    .join('\n');
  return [...code.matchAll(/(traceAwsClient\(\s*)?new (\w+Client)\(/g)]
    .filter((match) => match[1] === undefined)
    .map((match) => `${path.relative(root, file)}: new ${match[2]}(`);
}

describe('AWS SDK clients of the deployed code', () => {
  it('are all traced', () => {
    const sources = deployedSources();
    expect(sources.length).toBeGreaterThan(100);
    expect(sources.flatMap(untracedClients)).toEqual([]);
  });

  it('are found by the check, wrapped or not', () => {
    const file = path.join(root, 'packages/fm-gateway/src/bedrock/bedrock-runtime-client.ts');
    expect(readFileSync(file, 'utf8')).toMatch(/traceAwsClient\(\s*new BedrockRuntimeClient\(/);
    expect(untracedClients(file)).toEqual([]);
  });
});
