import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy whose link can be cut, to play a network outage between a client and its server. */
export interface TcpProxy {
  /** `127.0.0.1:<port>` of the proxy. */
  readonly port: number;
  /**
   * From now on nothing gets through, as behind a dead network: bytes on open connections are
   * dropped and new connections are accepted but never reach the server. Nothing is closed.
   */
  cut(): void;
  /** Lets traffic through again; the connections opened or hung during the cut are closed. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port to `target` (`host:port`). For tests and benchmarks.
 *
 * @example const proxy = await startTcpProxy('127.0.0.1:6379'); … proxy.cut(); … proxy.restore();
 */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = '0'] = target.split(':');
  let cut = false;
  const hung = new Set<Socket>();
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (cut) {
      hung.add(client);
      return;
    }
    const upstream = connect(Number(port), host);
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (data: Buffer) => {
      if (cut) hung.add(client);
      else upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (cut) hung.add(client);
      else client.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    port: address.port,
    cut: () => {
      cut = true;
    },
    restore: () => {
      cut = false;
      for (const socket of hung) socket.destroy();
      hung.clear();
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
