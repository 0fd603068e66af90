// The public surface of @mangaassist/idempotency/testing.

export {
  claimedToken,
  deliverySummary,
  describeIdempotencyStore,
} from './testing/idempotency-store-behaviour.js';
