// Test data and helpers for the tenants module's tests (not part of the public surface).
import { createServer, type Server, type Socket } from 'node:net';
import { type Tenant, tenantSchema } from '@mangaassist/contracts';

/** A tenant with the schema's defaults unless overridden. */
export function tenant(overrides: Partial<Tenant> & { id?: string } = {}): Tenant {
  return tenantSchema.parse({ id: 'manga-store', name: 'Manga store', ...overrides });
}

/** A TCP port with nothing listening on it: bound by the OS, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/** Noon UTC on 2025-01-01, a day the budget tests start in. */
export const budgetEpoch = Date.UTC(2025, 0, 1, 12);

/** A wall clock in epoch milliseconds that the test moves by hand. */
export function wallClock(at = budgetEpoch) {
  let current = at;
  return {
    now: () => current,
    advanceMs: (ms: number) => {
      current += ms;
    },
    set: (epochMs: number) => {
      current = epochMs;
    },
  };
}

/** Waits for a Redis client to be ready; a missing Redis fails the test, it never skips. */
export async function untilReady(
  client: { readonly status: string; once(event: 'ready', listener: () => void): unknown },
  url: string,
): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis is not reachable at ${url}; start one or set REDIS_URL`)),
      5_000,
    );
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A server that accepts connections and never answers: a hung Redis. Close it after the test. */
export async function silentServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    port: address.port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
