// `pnpm dev` as a person runs it in a terminal: started, then stopped with Ctrl-C, which the
// terminal sends to the whole foreground process group (pnpm, the script's shell, tsx, node).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { settlesWithin } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('pnpm dev in a terminal', () => {
  it('stops cleanly on Ctrl-C: exit 0, no "command failed"', async () => {
    const child = spawn('pnpm', ['dev'], {
      cwd: root,
      detached: true, // its own process group, as a terminal's foreground job
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    await settlesWithin(
      new Promise<void>((resolve) => {
        const ready = () => {
          if (output.includes('MangaAssist local runtime on')) resolve();
          else child.stdout.once('data', ready);
        };
        ready();
      }),
      60_000,
      'pnpm dev starting',
    );
    process.kill(-(child.pid ?? 0), 'SIGINT');
    const [code, signal] = await settlesWithin(exited, 30_000, 'pnpm dev stopping after Ctrl-C');

    expect({ code, signal }, `pnpm dev said:\n${output.slice(-3000)}`).toEqual({ code: 0, signal: null });
    expect(output).not.toContain('ELIFECYCLE');
  }, 120_000);
});
