import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { nodeBundleOptions } from '../bundling/bundle-function.js';
import { repositoryRoot } from './platform-function.js';

/** The container's entry point and the Dockerfile that wraps its bundle. */
const entryPoint = path.join(repositoryRoot, 'packages/orchestrator/src/main.ts');
const dockerfile = path.join(repositoryRoot, 'packages/orchestrator/image/Dockerfile');

let context: string | undefined;

/**
 * The directory Docker builds the orchestrator's image from: the esbuild bundle of
 * `packages/orchestrator/src/main.ts` (`main.mjs`: ESM, minified, Node 22, every dependency inside,
 * the SDK's full credential chain, which ECS's task role needs) beside its Dockerfile. Bundled once
 * per process with the repository's esbuild (no Docker at synth: the image is built when `cdk
 * deploy` publishes the asset); removed when the process exits.
 */
export function orchestratorImageContext(): string {
  if (context !== undefined) return context;
  const directory = mkdtempSync(path.join(tmpdir(), 'mangaassist-orchestrator-image-'));
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  buildSync({
    ...nodeBundleOptions,
    entryPoints: [entryPoint],
    outfile: path.join(directory, 'main.mjs'),
    logLevel: 'error',
  });
  copyFileSync(dockerfile, path.join(directory, 'Dockerfile'));
  context = directory;
  return directory;
}

/**
 * The orchestrator's image for Fargate on Graviton (linux/arm64), built from
 * `orchestratorImageContext`. A stack whose assets are not bundled (`cdk synth --exclusively`
 * other stacks, unit tests with `aws:cdk:bundling-stacks: []`) gets the Dockerfile's directory
 * alone, unbundled, as Lambda functions get no bundle there either.
 */
export function orchestratorImage(scope: Construct): ContainerImage {
  const context = Stack.of(scope).bundlingRequired ? orchestratorImageContext() : path.dirname(dockerfile);
  return ContainerImage.fromAsset(context, { platform: Platform.LINUX_ARM64 });
}
