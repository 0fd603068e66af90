// The public surface of @mangaassist/tenants/dynamodb.

export { DynamoDbTicketStore, type DynamoDbTicketStoreOptions } from './dynamodb-ticket-store.js';
