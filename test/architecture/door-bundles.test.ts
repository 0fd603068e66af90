// What every door's Lambda bundle takes of zod, bundled as `cdk synth` bundles it (esbuild honours
// the packages' `sideEffects`): zod/mini only, and the English messages API clients and
// configuration errors read. zod/mini loads no locale of its own.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

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

describe('the doors’ Lambda bundles', () => {
  let bundles: Map<string, string[]>;

  beforeAll(async () => {
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: handlerEntries,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      mainFields: ['module', 'main'],
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bundles = keptFiles(metafile);
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
});
