import { MemoryReviewStore } from './memory-review-store.js';
import { describeReviewStore } from './testing/review-store-behaviour.js';

describeReviewStore('MemoryReviewStore', () => new MemoryReviewStore());
