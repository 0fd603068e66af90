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

/**
 * The SDK client constructions in `code` (outside comments) that `traceAwsClient(` does not wrap:
 * `new …Client(`, and `new X(` of any other class imported from an `@aws-sdk/client-*` module
 * but its commands and errors (an aggregated client such as `new DynamoDB(`).
 */
function untracedClients(code: string): string[] {
  const lines = code.split('\n').filter((line) => !/^\s*(\*|\/\/)/.test(line));
  const source = lines.join('\n');
  const imported = [...source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-[^']+'/g)]
    .flatMap((match) => (match[1] ?? '').split(','))
    .map(
      (name) =>
        name
          .trim()
          .split(/\s+as\s+/)
          .at(-1) ?? '',
    )
    .filter((name) => name !== '' && !/(Command|Exception|Error)$/.test(name));
  const clients = new Set(imported);
  return [...source.matchAll(/(traceAwsClient\(\s*)?new (\w+)\(/g)]
    .filter(
      (match) => match[1] === undefined && (/Client$/.test(match[2] ?? '') || clients.has(match[2] ?? '')),
    )
    .map((match) => `new ${match[2]}(`);
}

describe('AWS SDK clients of the deployed code', () => {
  it('are all traced', () => {
    const sources = deployedSources();
    expect(sources.length).toBeGreaterThan(100);
    const untraced = sources.flatMap((file) =>
      untracedClients(readFileSync(file, 'utf8')).map((found) => `${path.relative(root, file)}: ${found}`),
    );
    expect(untraced).toEqual([]);
  });

  it('are found by the check when not wrapped, whatever their name, and not in comments', () => {
    const code = [
      "import { DynamoDB, GetItemCommand, ThrottlingException } from '@aws-sdk/client-dynamodb';",
      "import { SQSClient as Queue } from '@aws-sdk/client-sqs';",
      'const traced = traceAwsClient(',
      '  new SQSClient({}),',
      ');',
      'const bare = new SQSClient({});',
      'const aggregated = new DynamoDB({});',
      'const renamed = new Queue({});',
      'const command = new GetItemCommand({ TableName: "t", Key: {} });',
      'const error = new ThrottlingException({ message: "m", $metadata: {} });',
      ' * const example = new S3Client({});',
      '// new EventBridgeClient({})',
    ].join('\n');
    expect(untracedClients(code)).toEqual(['new SQSClient(', 'new DynamoDB(', 'new Queue(']);
  });
});
