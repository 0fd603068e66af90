// The DynamoDB ticket store (where WebSocket tickets live while Redis is down) through the real
// SDK client against the embedded DynamoDB, with the table created from the spec the CDK deploys.
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { silentLogger } from '@mangaassist/commons';
import { createRedisClient } from '@mangaassist/commons/redis';
import { wsTicketsTable } from '@mangaassist/contracts';
import { fallbackTicketPrefix } from '@mangaassist/tenants';
import { DynamoDbTicketStore } from '@mangaassist/tenants/dynamodb';
import { ticketStoreFor } from '@mangaassist/tenants/platform';
import { closedPort } from '@mangaassist/tenants/testing';
import { describe, expect, it } from 'vitest';
import { testTableName, useEmbeddedDynamoDb } from './embedded-dynamodb.js';

const table = testTableName(wsTicketsTable);
const documents = useEmbeddedDynamoDb([wsTicketsTable]);
const epoch = Date.UTC(2026, 0, 1);

function store(now = () => epoch) {
  return new DynamoDbTicketStore(documents(), { tableName: table, now });
}

describe('DynamoDbTicketStore on the embedded DynamoDB', () => {
  it('stores the hash of the ticket with its tenant and expiry, never the ticket', async () => {
    const ticket = await store().issue('tenant-a', 60);

    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { Items: items = [] } = await documents().send(new ScanCommand({ TableName: table }));
    const item = items.find((candidate) => candidate.tenant_id === 'tenant-a');
    expect(item).toEqual({
      ticket_hash: expect.any(String),
      tenant_id: 'tenant-a',
      expires_at: epoch / 1_000 + 60,
    });
    expect(JSON.stringify(items)).not.toContain(ticket);
  });

  it('redeems on another instance exactly once, and deletes the item', async () => {
    const ticket = await store().issue('tenant-b', 60);

    expect(await store().redeem(ticket)).toBe('tenant-b');
    expect(await store().redeem(ticket)).toBeUndefined();
  });

  it('gives the tenant to exactly one of many concurrent redeemers', async () => {
    const ticket = await store().issue('tenant-c', 60);
    const redeemed = await Promise.all(Array.from({ length: 20 }, () => store().redeem(ticket)));

    expect(redeemed.filter((tenant) => tenant === 'tenant-c')).toHaveLength(1);
  });

  it('refuses a ticket past its expiry, which DynamoDB has not deleted yet', async () => {
    const ticket = await store().issue('tenant-d', 60);

    expect(await store(() => epoch + 60_000).redeem(ticket)).toBeUndefined();
    expect(await store().redeem(ticket)).toBeUndefined();
  });

  it('answers undefined for an unknown or malformed ticket, and for an item that is not a ticket', async () => {
    await documents().send(new PutCommand({ TableName: table, Item: { ticket_hash: 'corrupt', other: 1 } }));
    expect(await store().redeem('A'.repeat(43))).toBeUndefined();
    expect(await store().redeem('not a ticket')).toBeUndefined();
    expect(
      (await documents().send(new GetCommand({ TableName: table, Key: { ticket_hash: 'corrupt' } }))).Item,
    ).toBeDefined();
  });

  it('fails with TicketStoreUnavailableError when the table is missing', async () => {
    const missing = new DynamoDbTicketStore(documents(), { tableName: 'no-such-table' });

    await expect(missing.issue('tenant-a', 60)).rejects.toMatchObject({
      name: 'TicketStoreUnavailableError',
    });
    await expect(missing.redeem('A'.repeat(43))).rejects.toMatchObject({
      name: 'TicketStoreUnavailableError',
    });
  });
});

describe('ticketStoreFor while Redis is down', () => {
  it('issues from the tickets table, and the ticket opens exactly one connection on any instance', async () => {
    const redis = createRedisClient(`redis://127.0.0.1:${await closedPort()}`);
    const open = () =>
      ticketStoreFor({ ticketsTable: table, dynamoDbEndpoint: documents.endpoint() }, redis, {
        logger: silentLogger,
        region: 'ap-northeast-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
    const [door, connect] = [open(), open()];
    try {
      const ticket = await door.tickets.issue('tenant-e', 60);

      expect(ticket.startsWith(fallbackTicketPrefix)).toBe(true);
      expect(await connect.tickets.redeem(ticket)).toBe('tenant-e');
      expect(await connect.tickets.redeem(ticket)).toBeUndefined();
    } finally {
      door.close();
      connect.close();
      redis.disconnect();
    }
  });
});
