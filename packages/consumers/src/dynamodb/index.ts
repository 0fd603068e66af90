// The public surface of @mangaassist/consumers/dynamodb.

export { DynamoDbAnalyticsStore, type DynamoDbAnalyticsStoreOptions } from './dynamodb-analytics-store.js';
export { DynamoDbProductCatalog } from './dynamodb-product-catalog.js';
export { DynamoDbProductStore, type DynamoDbProductStoreOptions } from './dynamodb-product-store.js';
export { DynamoDbReviewStore, type DynamoDbReviewStoreOptions } from './dynamodb-review-store.js';
