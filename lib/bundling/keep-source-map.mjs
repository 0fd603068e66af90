// Runs after esbuild bundles a function (PlatformFunction's afterBundling hook): moves the source
// map out of the asset, so it is not deployed, into cdk.out/source-maps/ under the function's
// construct path and the first 12 hex digits of the bundle's SHA-256. A stack trace from any
// deployment can then be mapped with the map of exactly the bundle that produced it.
// Usage: node keep-source-map.mjs <bundle directory> <maps directory> <name>
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const [bundleDirectory, mapsDirectory, name] = process.argv.slice(2);
if (!bundleDirectory || !mapsDirectory || !name) {
  throw new Error('usage: keep-source-map.mjs <bundle directory> <maps directory> <name>');
}
const bundle = readFileSync(path.join(bundleDirectory, 'index.mjs'));
const sha = createHash('sha256').update(bundle).digest('hex').slice(0, 12);
const source = path.join(bundleDirectory, 'index.mjs.map');
const target = path.join(mapsDirectory, `${name}.${sha}.mjs.map`);
mkdirSync(mapsDirectory, { recursive: true });
try {
  renameSync(source, target);
} catch {
  // Another file system (a temporary bundling directory): copy, then remove.
  copyFileSync(source, target);
  rmSync(source);
}
