// The public surface of @mangaassist/recommendations/dynamodb.

export {
  DynamoDbRecommendationStore,
  type DynamoDbRecommendationStoreOptions,
} from './dynamodb-recommendation-store.js';
