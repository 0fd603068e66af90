// Test doubles for the core's ports, for this package's tests and its dependents'.

export { cachedAnswer, cacheEpoch, manualClock } from './cache/cache-fixtures.js';
export { analyticsExpiresAt } from './consumers/analytics-items.js';
export {
  attentionEntry,
  describeAnalyticsStore,
  freshDay,
  freshModel,
  inferenceUsage,
} from './consumers/analytics-store-behaviour.js';
export {
  catalogUpdateEvent,
  eventEnvelope,
  modelResult,
  moderationFlaggedEvent,
  paymentCompletedEvent,
  recordingEmails,
  recordingLogger,
  reviewSubmittedEvent,
  type ScriptedAnswer,
  scriptedModel,
} from './consumers/consumer-fixtures.js';
export { describeProductStore, productAiContent } from './consumers/product-store-behaviour.js';
export {
  describeReviewStore,
  reviewHiding,
  reviewModeration,
} from './consumers/review-store-behaviour.js';
export { awsError, createFakeRuntimes, type FakeCall, type FakeReply } from './gateway/fake-model-runtime.js';
export { createFakeClock, type FakeClock } from './resilience/fake-clock.js';
export { collect, collectUntilError } from './runtime/stream-fixtures.js';
export { describeSessionStore, sessionTurn } from './sessions/session-store-behaviour.js';
export {
  claimedToken,
  deliverySummary,
  describeIdempotencyStore,
} from './webhooks/idempotency/idempotency-store-behaviour.js';
