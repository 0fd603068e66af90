import { randomBytes } from 'node:crypto';

/** 32 random bytes: 256 bits, beyond guessing for the seconds a ticket lives. */
const ticketBytes = 32;
const ticketPattern = /^[A-Za-z0-9_-]{43}$/;

/** A new WebSocket ticket: 32 bytes from `crypto.randomBytes`, base64url (43 characters). */
export function newTicket(): string {
  return randomBytes(ticketBytes).toString('base64url');
}

/** Whether a string could be a ticket at all; stores answer anything else without a lookup. */
export function isWellFormedTicket(value: string): boolean {
  return ticketPattern.test(value);
}

/** Ticket lifetimes are whole seconds (Redis `EX`), at least one. */
export function assertTicketTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new RangeError(`ttlSeconds must be a whole number of seconds >= 1, got ${ttlSeconds}`);
  }
}
