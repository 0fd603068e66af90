// The public surface of @mangaassist/commons/dynamodb.

export { createDocumentClient, type DocumentClientOptions } from './document-client.js';
