import { recordingLogger } from '@mangaassist/commons/testing';
import type { HttpRequest } from '@mangaassist/http';
import { describe, expect, it } from 'vitest';
import { MemoryTicketStore } from './memory-ticket-store.js';
import { TicketStoreUnavailableError } from './store-errors.js';
import type { TicketStore } from './ticket-store.js';
import { makeWsTicketEndpoint } from './ws-ticket-endpoint.js';

function ticketRequest(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'POST',
    path: '/v1/ws-tickets',
    headers: {},
    body: new Uint8Array(),
    requestId: 'req-1',
    tenantId: 'manga-store',
    ...overrides,
  };
}

function failingStore(error: Error): TicketStore {
  return {
    issue: async () => {
      throw error;
    },
    redeem: async () => undefined,
  };
}

describe('POST /v1/ws-tickets', () => {
  it('answers 201 with a ticket for the caller tenant and its lifetime', async () => {
    const tickets = new MemoryTicketStore();
    const response = await makeWsTicketEndpoint({ tickets })(ticketRequest({ tenantId: 'small-shop' }));
    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', 'x-request-id': 'req-1' });
    const body: { ticket: string; expires_in: number } = JSON.parse(response.body);
    expect(body.expires_in).toBe(60);
    await expect(tickets.redeem(body.ticket)).resolves.toBe('small-shop');
  });

  it('issues tickets with the configured lifetime', async () => {
    const issuedWith: number[] = [];
    const tickets: TicketStore = {
      issue: async (_tenantId, ttlSeconds) => {
        issuedWith.push(ttlSeconds);
        return 'T'.repeat(43);
      },
      redeem: async () => undefined,
    };
    const response = await makeWsTicketEndpoint({ tickets, ttlSeconds: 15 })(ticketRequest());
    expect(JSON.parse(response.body)).toEqual({ ticket: 'T'.repeat(43), expires_in: 15 });
    expect(issuedWith).toEqual([15]);
  });

  it('answers 503 tickets_unavailable with Retry-After when the store is down', async () => {
    const endpoint = makeWsTicketEndpoint({ tickets: failingStore(new TicketStoreUnavailableError('down')) });
    const response = await endpoint(ticketRequest());
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'tickets_unavailable',
        message: 'WebSocket tickets cannot be issued right now; retry shortly.',
        request_id: 'req-1',
      },
    });
  });

  it('logs an unexpected store error as an error, and still answers 503', async () => {
    const logger = recordingLogger();
    const endpoint = makeWsTicketEndpoint({ tickets: failingStore(new TypeError('bug')), logger });
    expect((await endpoint(ticketRequest())).statusCode).toBe(503);
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'error', message: 'ticket store failed unexpectedly' }),
    ]);
  });

  it('refuses at construction a lifetime that is not a whole number of seconds >= 1', () => {
    expect(() => makeWsTicketEndpoint({ tickets: new MemoryTicketStore(), ttlSeconds: 0 })).toThrow(
      RangeError,
    );
  });
});
