import { MemoryRecommendationStore } from './recommendation-store.js';
import { describeRecommendationStore } from './testing/recommendation-store-behaviour.js';

describeRecommendationStore('MemoryRecommendationStore', async () => new MemoryRecommendationStore());
