/**
 * Stops a local server once, whatever asks: Ctrl-C (SIGINT), a stop (SIGTERM) or a hang-up
 * (SIGHUP) — pnpm's shell passes the terminal's Ctrl-C on and may hang up on the child while it
 * is still closing. Call it while the server is still starting: until a process listens for a
 * signal, the signal kills it, and pnpm reports a Ctrl-C that came right after the banner as a
 * failed command (exit code 129).
 */
export function stopOnSignals<Server>(
  starting: Promise<Server>,
  close: (server: Server) => Promise<unknown>,
): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    void starting.then(close).then(
      () => process.exit(0),
      // A start that failed (a port in use) or a close that did: said, and not a clean stop.
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}
