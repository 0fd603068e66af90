// The DynamoDB ticket store's requests and failure paths against a mocked SDK client; the
// embedded DynamoDB runs the same store in test/integration/ticket-store.test.ts.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { awsError } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { TicketStoreUnavailableError } from '../store-errors.js';
import { DynamoDbTicketStore, ticketHash } from './dynamodb-ticket-store.js';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-1' }));
const dynamo = mockClient(documents);
const tableName = 'mangaassist-test-ws-tickets';
const nowMs = 1_800_000_000_000;
const store = new DynamoDbTicketStore(documents, { tableName, now: () => nowMs });

beforeEach(() => {
  dynamo.reset();
});

afterAll(() => {
  dynamo.restore();
});

describe('DynamoDbTicketStore', () => {
  it('puts the hash of a new ticket with its tenant and expiry, refusing to overwrite one', async () => {
    dynamo.on(PutCommand).resolves({});
    const ticket = await store.issue('tenant-a', 60);

    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: tableName,
      Item: { ticket_hash: ticketHash(ticket), tenant_id: 'tenant-a', expires_at: nowMs / 1_000 + 60 },
      ConditionExpression: 'attribute_not_exists(ticket_hash)',
    });
  });

  it('redeems by deleting the item and reading what it held, once', async () => {
    const ticket = 'A'.repeat(43);
    dynamo
      .on(DeleteCommand)
      .resolvesOnce({
        Attributes: { ticket_hash: ticketHash(ticket), tenant_id: 'tenant-a', expires_at: nowMs / 1_000 + 1 },
      })
      .resolves({});

    expect(await store.redeem(ticket)).toBe('tenant-a');
    expect(await store.redeem(ticket)).toBeUndefined();
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: tableName,
      Key: { ticket_hash: ticketHash(ticket) },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('refuses a ticket whose expiry has come, and an item that is not a ticket', async () => {
    dynamo
      .on(DeleteCommand)
      .resolvesOnce({ Attributes: { tenant_id: 'tenant-a', expires_at: nowMs / 1_000 } })
      .resolves({ Attributes: { tenant_id: 7 } });

    expect(await store.redeem('B'.repeat(43))).toBeUndefined();
    expect(await store.redeem('C'.repeat(43))).toBeUndefined();
  });

  it('answers a malformed ticket without asking DynamoDB', async () => {
    expect(await store.redeem('not a ticket')).toBeUndefined();
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('fails with TicketStoreUnavailableError when DynamoDB does, never answering "unknown ticket"', async () => {
    dynamo.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    dynamo.on(DeleteCommand).rejects(awsError('InternalServerError'));

    await expect(store.issue('tenant-a', 60)).rejects.toBeInstanceOf(TicketStoreUnavailableError);
    await expect(store.redeem('D'.repeat(43))).rejects.toBeInstanceOf(TicketStoreUnavailableError);
  });

  it('refuses a TTL that is not a whole number of seconds >= 1, before any request', async () => {
    await expect(store.issue('tenant-a', 0)).rejects.toBeInstanceOf(RangeError);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});
