// The package graph as the code has it: every workspace import is a declared dependency, the graph
// has no cycle, the doors sit on top, and the README's dependency picture is the real one.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface WorkspacePackage {
  readonly name: string;
  readonly directory: string;
  readonly dependencies: readonly string[];
  readonly devDependencies: readonly string[];
}

function workspacePackages(): WorkspacePackage[] {
  return ['packages', 'functions'].flatMap((top) =>
    readdirSync(path.join(root, top)).map((folder) => {
      const directory = path.join(root, top, folder);
      const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      return {
        name: manifest.name,
        directory,
        dependencies: Object.keys(manifest.dependencies ?? {}),
        devDependencies: Object.keys(manifest.devDependencies ?? {}),
      };
    }),
  );
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.includes('node_modules'))
    .map((file) => path.join(directory, file));
}

const testOnly = (file: string) =>
  /\.test\.ts$|[\\/]testing[\\/]|[\\/]testing\.ts$|-fixtures\.ts$|-behaviour\.ts$/.test(file);

/** The workspace packages a package's files import, split into what ships and what only tests use. */
function importedWorkspacePackages(pkg: WorkspacePackage): { shipped: Set<string>; tests: Set<string> } {
  const shipped = new Set<string>();
  const tests = new Set<string>();
  for (const file of sourceFiles(path.join(pkg.directory, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(
      /(?:from|import)\s+'(@mangaassist\/[a-z-]+)(?:\/[a-z0-9-]+)?'/g,
    )) {
      if (specifier === undefined || specifier === pkg.name) continue;
      (testOnly(file) ? tests : shipped).add(specifier);
    }
  }
  return { shipped, tests };
}

const short = (name: string) => name.replace('@mangaassist/', '');

describe('the package graph', () => {
  const packages = workspacePackages();

  it.each(packages.map((pkg) => [short(pkg.name), pkg] as const))(
    '%s declares every workspace package it imports',
    (_, pkg) => {
      const { shipped, tests } = importedWorkspacePackages(pkg);
      const workspace = (names: readonly string[]) =>
        names.filter((name) => name.startsWith('@mangaassist/'));
      expect(workspace(pkg.dependencies).sort()).toEqual([...shipped].sort());
      for (const name of tests) {
        expect([...pkg.dependencies, ...pkg.devDependencies], `${name} (imported by tests)`).toContain(name);
      }
    },
  );

  it('has no cycle, tests included', () => {
    const edges = new Map(
      packages.map((pkg) => [
        pkg.name,
        [...pkg.dependencies, ...pkg.devDependencies].filter((name) => name.startsWith('@mangaassist/')),
      ]),
    );
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, trail: readonly string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting')
        throw new Error(`cycle: ${[...trail, name].map(short).join(' → ')}`);
      state.set(name, 'visiting');
      for (const next of edges.get(name) ?? []) visit(next, [...trail, name]);
      state.set(name, 'done');
    };
    for (const name of edges.keys()) visit(name, []);
  });

  it('keeps the doors on top: no package depends on a function, only local runs them', () => {
    for (const pkg of packages.filter((candidate) =>
      candidate.directory.includes(`${path.sep}packages${path.sep}`),
    )) {
      const functions = pkg.dependencies.filter((name) => name.startsWith('@mangaassist/fn-'));
      expect(functions, pkg.name).toEqual(pkg.name === '@mangaassist/local' ? functions : []);
    }
  });

  it('is the picture the README draws', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /<!-- package-graph -->\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the README has a ```text block after <!-- package-graph -->').toBeDefined();
    const drawn = new Map<string, string[]>();
    for (const line of (block ?? '').split('\n')) {
      const match = /^\s*([a-z-]+)\s+→\s+(.*)$/.exec(line);
      if (match?.[1] && match[2] !== undefined) {
        drawn.set(match[1], match[2].trim() === '—' ? [] : match[2].split(',').map((name) => name.trim()));
      }
    }
    const actual = new Map(
      packages
        .filter(
          (pkg) =>
            pkg.directory.includes(`${path.sep}packages${path.sep}`) && pkg.name !== '@mangaassist/local',
        )
        .map((pkg) => [
          short(pkg.name),
          pkg.dependencies
            .filter((name) => name.startsWith('@mangaassist/'))
            .map(short)
            .sort(),
        ]),
    );
    expect(Object.fromEntries([...drawn].map(([name, deps]) => [name, [...deps].sort()]))).toEqual(
      Object.fromEntries(actual),
    );
  });
});
