import { describe, expect, it } from 'vitest';
import { MemoryTicketStore } from './memory-ticket-store.js';
import { wallClock } from './testing/tenant-fixtures.js';

function store() {
  const clock = wallClock();
  return { tickets: new MemoryTicketStore({ now: clock.now }), clock };
}

describe('MemoryTicketStore', () => {
  it('issues 43-character base64url tickets, a new one each time', async () => {
    const { tickets } = store();
    const first = await tickets.issue('manga-store', 60);
    const second = await tickets.issue('manga-store', 60);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
  });

  it('redeems a ticket for its tenant exactly once', async () => {
    const { tickets } = store();
    const ticket = await tickets.issue('manga-store', 60);
    await expect(tickets.redeem(ticket)).resolves.toBe('manga-store');
    await expect(tickets.redeem(ticket)).resolves.toBeUndefined();
  });

  it('honours a ticket until its last millisecond and not after', async () => {
    const { tickets, clock } = store();
    const early = await tickets.issue('manga-store', 60);
    const late = await tickets.issue('manga-store', 60);
    clock.advanceMs(59_999);
    await expect(tickets.redeem(early)).resolves.toBe('manga-store');
    clock.advanceMs(1);
    await expect(tickets.redeem(late)).resolves.toBeUndefined();
  });

  it('answers undefined for unknown and malformed tickets', async () => {
    const { tickets } = store();
    await expect(tickets.redeem('A'.repeat(43))).resolves.toBeUndefined();
    await expect(tickets.redeem('not a ticket')).resolves.toBeUndefined();
  });

  it('refuses a TTL that is not a whole number of seconds >= 1', async () => {
    const { tickets } = store();
    await expect(tickets.issue('manga-store', 0)).rejects.toThrow(RangeError);
    await expect(tickets.issue('manga-store', 1.5)).rejects.toThrow(RangeError);
  });
});
