// The public surface of @mangaassist/events.

export { BatchingEventPublisher, type BatchingOptions } from './batching-event-publisher.js';
export {
  type ChainDepthCheck,
  type ChainRefusalReason,
  nextChainDepth,
  withChainMetadata,
} from './chain-depth.js';
export {
  type DomainEvent,
  EventPublishError,
  type EventPublisher,
  type PublishOptions,
  publishFailuresMetric,
} from './event-publisher.js';
export {
  type FitEventDetailOptions,
  type FittedEventDetail,
  fitEventDetail,
  maxPutEventsEntryBytes,
  putEventsEntryBytes,
  truncationMarker,
} from './event-truncation.js';
