// The public surface of @mangaassist/jobs/dynamodb.

export { DynamoDbJobStore, type DynamoDbJobStoreOptions } from './dynamodb-job-store.js';
