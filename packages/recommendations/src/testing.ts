// The public surface of @mangaassist/recommendations/testing.

export { describeRecommendationStore } from './testing/recommendation-store-behaviour.js';
