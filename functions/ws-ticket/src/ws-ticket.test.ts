import { silentLogger } from '@mangaassist/commons';
import { MemoryTicketStore, TenantDirectory } from '@mangaassist/tenants';
import { describe, expect, it } from 'vitest';
import { makeWsTicketHandler } from './ws-ticket.js';

type ProxyEvent = Parameters<ReturnType<typeof makeWsTicketHandler>>[0];

function ticketEvent(apiKeyId: string): ProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/ws-tickets',
    headers: {},
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'api-req-1', identity: { apiKeyId } },
  } as ProxyEvent;
}

describe('ws-ticket handler', () => {
  it("answers an API Gateway event with 201 and a ticket for the key's tenant", async () => {
    const tickets = new MemoryTicketStore();
    const tenants = TenantDirectory.fromConfig({
      tenants: [{ id: 'manga-store', name: 'Manga Store' }],
      apiKeys: { 'key-id-1': 'manga-store' },
    });
    const resolveTenant = (keyId: string | undefined) =>
      tenants.tenantForApiKeyId(keyId ?? '')?.id ?? 'anonymous';
    const handler = makeWsTicketHandler({ tickets, resolveTenant, logger: silentLogger });
    const result = await handler(ticketEvent('key-id-1'));
    expect(result.statusCode).toBe(201);
    const body: { ticket: string; expires_in: number } = JSON.parse(result.body);
    expect(body.expires_in).toBe(60);
    await expect(tickets.redeem(body.ticket)).resolves.toBe('manga-store');
  });
});
