// The public surface of @mangaassist/consumers/testing.

export {
  attentionEntry,
  describeAnalyticsStore,
  freshDay,
  freshModel,
  inferenceUsage,
} from './testing/analytics-store-behaviour.js';
export {
  catalogEnrichmentMessageOf,
  catalogEnrichmentRecord,
  catalogUpdateEvent,
  eventEnvelope,
  modelResult,
  moderationFlaggedEvent,
  paymentCompletedEvent,
  recordingEmails,
  reviewSubmittedEvent,
  type ScriptedAnswer,
  scriptedModel,
} from './testing/consumer-fixtures.js';
export { describeProductStore, productAiContent } from './testing/product-store-behaviour.js';
export { describeReviewStore, reviewHiding, reviewModeration } from './testing/review-store-behaviour.js';
