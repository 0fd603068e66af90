import { MemoryReviewStore } from './memory-review-store.js';
import { describeReviewStore } from './review-store-behaviour.js';

describeReviewStore('MemoryReviewStore', () => new MemoryReviewStore());
