// The public surface of @mangaassist/idempotency/dynamodb.

export {
  DynamoDbIdempotencyStore,
  type DynamoDbIdempotencyStoreOptions,
} from './dynamodb-idempotency-store.js';
