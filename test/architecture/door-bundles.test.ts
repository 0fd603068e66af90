// What every door's Lambda bundle takes, bundled as `cdk synth` bundles it (esbuild honours the
// packages' `sideEffects`): of zod, zod/mini only and the English messages API clients and
// configuration errors read (zod/mini loads no locale of its own); of Node, built-in modules only
// through `process.getBuiltinModule`, never as ESM imports whose facades run every lazy getter.
import { readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaBuildOptions } from '../../lib/bundling/bundle-function.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const handlerEntries = readdirSync(path.join(root, 'functions')).flatMap((door) =>
  readdirSync(path.join(root, 'functions', door, 'src'))
    .filter((file) => /handler\.ts$/.test(file))
    .map((file) => `functions/${door}/src/${file}`),
);

/** The files each entry's bundle keeps (their code, not only their import). */
function keptFiles(metafile: Metafile): Map<string, string[]> {
  const kept = new Map<string, string[]>();
  for (const output of Object.values(metafile.outputs)) {
    if (output.entryPoint === undefined) continue;
    const files = Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file);
    kept.set(output.entryPoint, files);
  }
  return kept;
}

/** The built-in modules each entry's bundle imports as ES modules (statically or with `import()`). */
function builtinImports(metafile: Metafile): Map<string, string[]> {
  const imported = new Map<string, string[]>();
  for (const output of Object.values(metafile.outputs)) {
    if (output.entryPoint === undefined) continue;
    const builtins = output.imports
      // A require() builds no ESM facade: only imports count.
      .filter((entry) => entry.kind !== 'require-call' && entry.external && isBuiltin(entry.path))
      .map((entry) => entry.path);
    imported.set(output.entryPoint, [...new Set(builtins)]);
  }
  return imported;
}

describe('the doors’ Lambda bundles', () => {
  let bundles: Map<string, string[]>;
  let builtins: Map<string, string[]>;

  beforeAll(async () => {
    const { metafile } = await build({
      ...lambdaBuildOptions(handlerEntries),
      minify: false,
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bundles = keptFiles(metafile);
    builtins = builtinImports(metafile);
  });

  it('finds every handler', () => {
    expect(handlerEntries.length).toBeGreaterThanOrEqual(8);
    expect([...bundles.keys()].sort()).toEqual([...handlerEntries].sort());
  });

  it.each(handlerEntries)('%s loads zod’s English messages', (entry) => {
    const files = bundles.get(entry) ?? [];
    expect(files).toContain('packages/contracts/src/zod-locale.ts');
    expect(files.some((file) => file.endsWith('/zod/v4/locales/en.js'))).toBe(true);
  });

  it.each(handlerEntries)('%s takes zod/mini and one locale, not classic zod', (entry) => {
    const zodFiles = (bundles.get(entry) ?? []).filter((file) => file.includes('/zod/'));
    expect(zodFiles.filter((file) => file.includes('/zod/v4/classic/'))).toEqual([]);
    expect(zodFiles.filter((file) => file.includes('/zod/v4/locales/'))).toEqual([
      expect.stringMatching(/\/locales\/en\.js$/),
    ]);
  });

  it.each(handlerEntries)('%s takes the SDK’s LRU cache from lib/bundling, not mnemonist', (entry) => {
    expect((bundles.get(entry) ?? []).filter((file) => file.includes('/mnemonist/'))).toEqual([]);
  });

  it.each(handlerEntries)('%s imports no Node built-in as an ES module', (entry) => {
    expect(builtins.get(entry)).toEqual([]);
  });
});
