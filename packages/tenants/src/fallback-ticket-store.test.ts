import { describe, expect, it } from 'vitest';
import { FallbackTicketStore, fallbackTicketPrefix } from './fallback-ticket-store.js';
import { MemoryTicketStore } from './memory-ticket-store.js';
import { TicketStoreUnavailableError } from './store-errors.js';
import type { TicketStore } from './ticket-store.js';

/** A store whose every call fails as an unreachable Redis does. */
const down: TicketStore = {
  issue: async () => Promise.reject(new TicketStoreUnavailableError('Redis down')),
  redeem: async () => Promise.reject(new TicketStoreUnavailableError('Redis down')),
};

function stores(primary: TicketStore = new MemoryTicketStore()) {
  const fallback = new MemoryTicketStore();
  let built = 0;
  const store = new FallbackTicketStore({
    primary,
    fallback: async () => {
      built++;
      return fallback;
    },
  });
  return { store, fallback, built: () => built };
}

describe('FallbackTicketStore', () => {
  it('issues and redeems from the primary while it works, never building the fallback', async () => {
    const { store, built } = stores();
    const ticket = await store.issue('tenant-a', 60);

    expect(ticket.startsWith(fallbackTicketPrefix)).toBe(false);
    expect(await store.redeem(ticket)).toBe('tenant-a');
    expect(await store.redeem(ticket)).toBeUndefined();
    expect(built()).toBe(0);
  });

  it('issues a marked ticket from the fallback while the primary is down, redeemable there exactly once', async () => {
    const { store } = stores(down);
    const ticket = await store.issue('tenant-a', 60);

    expect(ticket.startsWith(fallbackTicketPrefix)).toBe(true);
    expect(await store.redeem(ticket)).toBe('tenant-a');
    expect(await store.redeem(ticket)).toBeUndefined();
  });

  it('sends an unmarked ticket to the primary only, so a random string never reaches the fallback', async () => {
    const { store, built } = stores();
    expect(await store.redeem('x'.repeat(43))).toBeUndefined();
    expect(built()).toBe(0);
    await expect(stores(down).store.redeem('x'.repeat(43))).rejects.toBeInstanceOf(
      TicketStoreUnavailableError,
    );
  });

  it('does not redeem a primary ticket in the fallback, even with the mark put in front of it', async () => {
    const { store } = stores();
    const ticket = await store.issue('tenant-a', 60);

    expect(await store.redeem(`${fallbackTicketPrefix}${ticket}`)).toBeUndefined();
    expect(await store.redeem(ticket)).toBe('tenant-a');
  });

  it('fails with TicketStoreUnavailableError when neither store can issue, and builds the fallback again next time', async () => {
    let attempts = 0;
    const store = new FallbackTicketStore({
      primary: down,
      fallback: async () => {
        attempts++;
        if (attempts === 1) throw new Error('no table');
        return down;
      },
    });

    await expect(store.issue('tenant-a', 60)).rejects.toBeInstanceOf(TicketStoreUnavailableError);
    await expect(store.issue('tenant-a', 60)).rejects.toBeInstanceOf(TicketStoreUnavailableError);
    expect(attempts).toBe(2);
  });

  it('passes on what is not an outage, such as a bad TTL, without trying the fallback', async () => {
    const { store, built } = stores();
    await expect(store.issue('tenant-a', 0)).rejects.toBeInstanceOf(RangeError);
    expect(built()).toBe(0);
  });

  it('answers a marked string that is no ticket at all without building the fallback', async () => {
    const { store, built } = stores();
    expect(await store.redeem(`${fallbackTicketPrefix}not-a-ticket`)).toBeUndefined();
    expect(await store.redeem(fallbackTicketPrefix)).toBeUndefined();
    expect(built()).toBe(0);
  });
});
