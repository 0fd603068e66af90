// The public surface of @mangaassist/chat/dynamodb.

export { DynamoDbConnectionStore, type DynamoDbConnectionStoreOptions } from './dynamodb-connection-store.js';
export { DynamoDbSessionStore, type DynamoDbSessionStoreOptions } from './dynamodb-session-store.js';
