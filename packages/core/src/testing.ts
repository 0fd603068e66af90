// Test doubles for the core's ports, for this package's tests and its dependents'.

export { cachedAnswer, cacheEpoch, manualClock } from './cache/cache-fixtures.js';
export { awsError, createFakeRuntimes, type FakeCall, type FakeReply } from './gateway/fake-model-runtime.js';
export { createFakeClock, type FakeClock } from './resilience/fake-clock.js';
export { collect, collectUntilError } from './runtime/stream-fixtures.js';
export { describeSessionStore, sessionTurn } from './sessions/session-store-behaviour.js';
export {
  claimedToken,
  deliverySummary,
  describeIdempotencyStore,
} from './webhooks/idempotency/idempotency-store-behaviour.js';
