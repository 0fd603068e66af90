import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from './connection-store.js';
import { MemoryConnectionStore } from './memory-connection-store.js';

const epoch = Date.UTC(2026, 0, 1);

function connection(overrides: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    connectionId: 'conn-0001=',
    tenantId: 'tenant-a',
    connectedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function storeAt(start = epoch, ttlSeconds?: number) {
  let now = start;
  const store = new MemoryConnectionStore({ now: () => now, ...(ttlSeconds ? { ttlSeconds } : {}) });
  return { store, advanceSeconds: (seconds: number) => (now += seconds * 1_000) };
}

describe('MemoryConnectionStore', () => {
  it('returns a connection that was put, and undefined for one that never was', async () => {
    const { store } = storeAt();
    await store.put(connection());
    expect(await store.get('conn-0001=')).toEqual(connection());
    expect(await store.get('conn-unknown')).toBeUndefined();
  });

  it('replaces the record of a connection id that is put again', async () => {
    const { store } = storeAt();
    await store.put(connection());
    await store.put(connection({ tenantId: 'tenant-b' }));
    expect((await store.get('conn-0001='))?.tenantId).toBe('tenant-b');
  });

  it('forgets a deleted connection, and deletes an unknown one without error', async () => {
    const { store } = storeAt();
    await store.put(connection());
    await store.delete('conn-0001=');
    expect(await store.get('conn-0001=')).toBeUndefined();
    await expect(store.delete('conn-unknown')).resolves.toBeUndefined();
  });

  it('forgets a connection two hours after it was put, by default', async () => {
    const { store, advanceSeconds } = storeAt();
    await store.put(connection());
    advanceSeconds(7_199);
    expect(await store.get('conn-0001=')).toBeDefined();
    advanceSeconds(1);
    expect(await store.get('conn-0001=')).toBeUndefined();
  });

  it('honours a shorter time to live', async () => {
    const { store, advanceSeconds } = storeAt(epoch, 60);
    await store.put(connection());
    advanceSeconds(60);
    expect(await store.get('conn-0001=')).toBeUndefined();
  });

  it("keeps only the fields of the port, unaffected by later changes to the caller's object", async () => {
    const { store } = storeAt();
    const record = { ...connection(), extra: 'not stored' };
    await store.put(record);
    Object.assign(record, { tenantId: 'changed' });
    expect(await store.get('conn-0001=')).toStrictEqual(connection());
  });
});
