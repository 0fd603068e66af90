import { createDocumentClient, type DocumentClientOptions } from '@mangaassist/commons/dynamodb';
import type { TicketStore } from '../ticket-store.js';
import { DynamoDbTicketStore } from './dynamodb-ticket-store.js';

/**
 * A `DynamoDbTicketStore` on a client of its own, and the way to close it: what the ticket
 * stores' composition loads with `import()` on the first fallback, so that the DynamoDB SDK is
 * evaluated only by a door whose Redis failed.
 */
export function openDynamoDbTicketStore(
  tableName: string,
  clientOptions: DocumentClientOptions,
): { readonly tickets: TicketStore; close(): void } {
  const documents = createDocumentClient(clientOptions);
  return { tickets: new DynamoDbTicketStore(documents, { tableName }), close: () => documents.destroy() };
}
