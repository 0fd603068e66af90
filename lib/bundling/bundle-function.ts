/**
 * Bundles one Lambda handler as `PlatformFunction` deploys it: ESM for Node 22, minified, every
 * dependency inside (the pinned AWS SDK included), and its source map kept out of the zip.
 *
 * `PlatformFunction` runs this file in a child process (`node bundle-function.ts <entry> <output
 * directory> <source maps directory> <name>`): the plugin below needs esbuild's asynchronous API,
 * and CDK bundles synchronously. It imports only Node and esbuild, so Node runs it as it is.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild aliases of the Lambda bundles.
 *
 * - The SDK's credential and token chains: their other providers cannot apply in Lambda and bring
 *   STS, SSO, SSO OIDC and Signin clients into every bundle.
 * - mnemonist's LRU cache, which the DynamoDB client's endpoint cache uses: a `Map` does it in ~1 KB.
 */
export const lambdaBundleAliases: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './lib/bundling/lambda-credential-provider.ts',
  '@aws-sdk/token-providers': './lib/bundling/lambda-token-provider.ts',
  'mnemonist/lru-cache': './lib/bundling/lru-cache.ts',
};

/**
 * Node's built-in modules (`node:http`, `stream/promises`, …) as CommonJS modules of the bundle that
 * read `process.getBuiltinModule`, instead of ESM imports. An ESM import of a built-in builds a
 * facade that reads every export, running the lazy getters behind them: `node:http`'s `WebSocket`
 * loads undici, 10–15 ms of every cold import; `node:fs` loads its streams, `node:process` its
 * stdio. esbuild evaluates the module where the code first needs it.
 */
export const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(bundler) {
    bundler.onResolve({ filter: /^[a-z_:/0-9]+$/ }, ({ path: name }) =>
      isBuiltin(name)
        ? { path: name.startsWith('node:') ? name : `node:${name}`, namespace: 'node-builtin' }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path: name }) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(name)});`,
      loader: 'js',
    }));
  },
};

/**
 * ESM bundles have no `require`; CommonJS dependencies (parts of the AWS SDK) call it. Taken from
 * `process.getBuiltinModule`, it needs no import (which could clash with a bundled module's own).
 */
export const requireShim =
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";

/** An SDK client's generated schemas, and the service's `package.json`. */
const sdkSchemas = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const sdkClientPackage = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;

/**
 * Writes each computed trait key of an SDK schema file (`{ [_ht]: … }`, `_ht` a string constant of
 * the file) as the string itself (`{ "http": … }`). esbuild cannot tell that such a key has no side
 * effect, so it keeps every schema of the service: the Bedrock control-plane client's ~90 KB for the
 * four batch-job commands we send (aws/aws-sdk-js-v3#7607). With literal keys, the schemas no
 * command uses are dropped. Keys whose constant is not found are left as they are.
 */
export function inlineSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, value] of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    if (name !== undefined && value !== undefined) constants.set(name, value);
  }
  return source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
    const value = constants.get(name);
    return value === undefined ? key : `${value}:`;
  });
}

/**
 * The SDK's schema files with literal trait keys (`inlineSchemaKeys`), and each client's
 * `package.json` as the one field its code reads (`version`, for the user agent) instead of all of it.
 */
export const sdkTreeShaking: Plugin = {
  name: 'sdk-tree-shaking',
  setup(bundler) {
    bundler.onLoad({ filter: sdkSchemas }, ({ path: file }) => ({
      contents: inlineSchemaKeys(readFileSync(file, 'utf8')),
      loader: 'js',
    }));
    bundler.onLoad({ filter: sdkClientPackage }, ({ path: file }) => {
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

/** How every Node bundle of the platform is built: one minified ESM file for Node 22, dependencies inside. */
export const nodeBundleOptions = {
  absWorkingDir: repositoryRoot,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: { js: requireShim },
  minify: true,
  charset: 'utf8',
} as const satisfies BuildOptions;

/** The esbuild options of a Lambda bundle of `entryPoints` (paths from the repository root). */
export function lambdaBuildOptions(entryPoints: readonly string[]): BuildOptions {
  return {
    ...nodeBundleOptions,
    entryPoints: [...entryPoints],
    alias: { ...lambdaBundleAliases },
    plugins: [nodeBuiltins, sdkTreeShaking],
    logLevel: 'warning',
  };
}

/**
 * Writes `<outputDirectory>/index.mjs` and, outside the asset, its source map as
 * `<mapsDirectory>/<name>.<first 12 hex digits of the bundle's SHA-256>.mjs.map`: a stack trace from
 * any deployment maps with the map of exactly the bundle that produced it. Deployed, the map would
 * only add to the download, and parsing it at init (`--enable-source-maps`) costs ~10 ms.
 */
export async function bundleFunction(
  entry: string,
  outputDirectory: string,
  mapsDirectory: string,
  name: string,
): Promise<void> {
  const bundle = path.join(outputDirectory, 'index.mjs');
  const { outputFiles } = await build({
    ...lambdaBuildOptions([entry]),
    outfile: bundle,
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
  });
  const code = outputFiles.find((file) => file.path === bundle);
  const map = outputFiles.find((file) => file.path === `${bundle}.map`);
  if (code === undefined || map === undefined) throw new Error(`esbuild wrote no bundle of ${entry}`);
  const sha = createHash('sha256').update(code.contents).digest('hex').slice(0, 12);
  mkdirSync(outputDirectory, { recursive: true });
  mkdirSync(mapsDirectory, { recursive: true });
  writeFileSync(bundle, code.contents);
  writeFileSync(path.join(mapsDirectory, `${name}.${sha}.mjs.map`), map.contents);
}

/** Whether the module at `moduleUrl` is the script Node was started with (`script`, `process.argv[1]`). */
export function isMainModule(moduleUrl: string, script: string | undefined): boolean {
  if (script === undefined) return false;
  let file = script;
  try {
    file = realpathSync(script);
  } catch {
    // Not on this disk (a test's path): compare it as written.
  }
  return pathToFileURL(file).href === moduleUrl;
}

if (isMainModule(import.meta.url, process.argv[1])) {
  const [entry, outputDirectory, mapsDirectory, name] = process.argv.slice(2);
  if (!entry || !outputDirectory || !mapsDirectory || !name) {
    throw new Error(
      'usage: node bundle-function.ts <entry> <output directory> <source maps directory> <name>',
    );
  }
  await bundleFunction(entry, outputDirectory, mapsDirectory, name);
}
